"""Which key reaches which server, through the core's wrapper (ManagedService + OpenAIService).

A model declared on an OpenAI-compatible server gets its own key (``--key-env``), or none;
the OpenAI key never leaves for such a server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liminal import ChatRequest, ErrorCode, LiminalError, Message, Role
from liminal.factory import LlmServiceFactory
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.retry import RetryPolicy
from liminal_openai.compatible import CompatibleFile, CompatibleModel, save_compatible
from liminal_openai.service import OpenAIService
from support.openai_fakes import BASE_URL, MockApi, chunk, completion, sse

OPENAI_KEY = "sk-openai-secret-key-0001"
OWN_KEY = "own-server-key-42"
SERVER_URL = "http://127.0.0.1:8089/v1"


def declare(*models: CompatibleModel) -> None:
    save_compatible(CompatibleFile(models=models))


def managed(api: MockApi, model: str) -> ManagedService:
    factory = LlmServiceFactory(plugins=Plugins(), policy=RetryPolicy(max_attempts=2, base=0.01))
    service = factory.for_model(model)
    assert isinstance(service.service, OpenAIService)
    service.service = OpenAIService(service.service.context, http_client=api.http_client())
    return service


def ask(model: str) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, "Say hello"),))


@pytest.fixture
def env(liminal_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", BASE_URL)
    return liminal_home


async def test_a_catalog_model_gets_the_openai_key(env: Path, api: MockApi) -> None:
    api.json(completion())
    await managed(api, "gpt-4o").complete(ask("gpt-4o"))
    assert str(api.requests[0].url) == f"{BASE_URL}/chat/completions"
    assert api.authorization() == f"Bearer {OPENAI_KEY}"


async def answer(api: MockApi, service: ManagedService, model: str, *, streaming: bool) -> None:
    """One answer from ``model`` through ``service``, streamed or whole."""
    if streaming:
        api.stream(sse(chunk("hi"), chunk(finish="stop")))
        [event async for event in service.stream(ask(model))]
    else:
        api.json(completion())
        await service.complete(ask(model))


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_declared_model_gets_its_own_key_not_the_openai_key(
    env: Path, api: MockApi, monkeypatch: pytest.MonkeyPatch, streaming: bool
) -> None:
    declare(CompatibleModel("my-llama", SERVER_URL, key_env_var="MY_LLAMA_KEY"))
    monkeypatch.setenv("MY_LLAMA_KEY", OWN_KEY)
    service = managed(api, "my-llama")
    await answer(api, service, "my-llama", streaming=streaming)
    assert str(api.requests[0].url) == f"{SERVER_URL}/chat/completions"
    assert api.authorization() == f"Bearer {OWN_KEY}"
    assert all(OPENAI_KEY not in str(r.headers) for r in api.requests)


async def test_a_declared_model_whose_key_variable_is_unset_is_no_key(
    env: Path, api: MockApi
) -> None:
    declare(CompatibleModel("my-llama", SERVER_URL, key_env_var="MY_LLAMA_KEY_UNSET"))
    with pytest.raises(LiminalError) as caught:
        await managed(api, "my-llama").complete(ask("my-llama"))
    assert caught.value.code is ErrorCode.NO_KEY
    assert "MY_LLAMA_KEY_UNSET" in (caught.value.hint or "")
    assert api.requests == []


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_declared_model_without_a_key_variable_never_gets_the_openai_key(
    env: Path, api: MockApi, streaming: bool
) -> None:
    declare(CompatibleModel("keyless", SERVER_URL))
    service = managed(api, "keyless")
    await answer(api, service, "keyless", streaming=streaming)
    assert str(api.requests[0].url) == f"{SERVER_URL}/chat/completions"
    assert OPENAI_KEY not in (api.authorization() or "")
    assert all(OPENAI_KEY not in str(r.headers) for r in api.requests)


async def test_the_openai_key_still_serves_catalog_models_next_to_a_keyless_server(
    env: Path, api: MockApi
) -> None:
    declare(CompatibleModel("keyless", SERVER_URL))
    api.json(completion())
    service = managed(api, "keyless")
    await service.complete(ask("keyless"))
    await service.complete(ask("gpt-4o"))
    assert OPENAI_KEY not in (api.authorization(0) or "")
    assert api.authorization(1) == f"Bearer {OPENAI_KEY}"
