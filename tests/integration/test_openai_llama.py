"""What only the OpenAI protocol does, against a real engine: llama-server with SmolLM2.

What every provider does (catalog models, finish reasons, keys, context overflow, leaving a
stream early) is in test_providers_llama.py. Asserts protocol facts, never the model's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liminal import ChatRequest, FinishReason, KeyStatus, Message, Role, Secret
from liminal.factory import LlmServiceFactory
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal_openai.compatible import CompatibleFile, CompatibleModel, save_compatible
from liminal_openai.service import OpenAIService
from support.live import OPENAI, Traffic, ask, check_stream, collect, only

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = [pytest.mark.integration, only(OPENAI)]


async def test_reasoning_model_with_effort_and_json_mode(service: ManagedService) -> None:
    request = ask("o3", max_tokens=8, seed=1, reasoning_effort="low", response_format="json")
    result = await service.complete(request)
    assert result.usage is not None
    assert 0 < result.usage.output <= 8


async def test_system_prompt_and_history_are_sent(
    service: ManagedService, traffic: Traffic
) -> None:
    request = ChatRequest(
        "gpt-4o",
        (Message(Role.USER, "Hi"), Message(Role.ASSISTANT, "Hello!"), Message(Role.USER, "Bye")),
        system="Answer in one word.",
        parameters={"temperature": 0, "seed": 3, "max_tokens": 3},
    )
    result = await service.complete(request)
    assert result.usage is not None
    assert result.usage.input > 10
    body = traffic.chat_requests()[0].read().decode()
    assert body.index("Answer in one word.") < body.index("Hi") < body.index("Bye")


async def test_validate_key_when_the_server_is_gone_is_unknown(service: ManagedService) -> None:
    context = service.service.context  # type: ignore[attr-defined]
    service.service = OpenAIService(
        type(context)(
            provider=context.provider,
            timeouts=context.timeouts,
            model_info=context.model_info,
            base_url="http://127.0.0.1:9/v1",
        )
    )
    assert await service.validate_key(Secret("sk-any-key-at-all-00")) is KeyStatus.UNKNOWN


# -- a declared compatible model ------------------------------------------------------------


async def test_a_declared_model_uses_its_own_key_env_not_the_openai_key(
    traffic: Traffic, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_compatible(
        CompatibleFile(
            models=(CompatibleModel("smol", llama_server.base_url, key_env_var="SMOL_KEY"),)
        )
    )
    monkeypatch.setenv("SMOL_KEY", llama_server.api_keys[1])
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-key-never-sent-01")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # the real OpenAI is elsewhere
    managed = LlmServiceFactory(plugins=Plugins()).for_model("smol")
    managed.service = OpenAIService(managed.service.context, http_client=traffic.client)  # type: ignore[attr-defined]
    finish, _ = check_stream(
        await collect(managed, ask("smol", temperature=0, seed=1, max_tokens=3)), max_tokens=3
    )
    assert finish.reason in (FinishReason.LENGTH, FinishReason.STOP)
    result = await managed.complete(ask("smol", temperature=0, max_tokens=3))
    assert result.usage is not None
    for sent in traffic.requests:
        assert str(sent.url).startswith(llama_server.base_url)
        assert sent.headers["authorization"] == f"Bearer {llama_server.api_keys[1]}"
