"""The OpenAI plugin against a real engine: llama-server with SmolLM2 on 127.0.0.1.

Every catalog model id is routed to llama-server (``OPENAI_BASE_URL``); the server answers
whatever model name it is sent. Asserts protocol facts (events, usage, finish reasons, error
codes, connections), never the model's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from liminal import (
    ChatRequest,
    ErrorCode,
    Finish,
    FinishReason,
    KeyStatus,
    LiminalError,
    Message,
    ModelInfo,
    Role,
    Secret,
    TextDelta,
    Usage,
)
from liminal.factory import LlmServiceFactory
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.retry import RetryPolicy
from liminal_openai.catalog import MODELS
from liminal_openai.compatible import CompatibleFile, CompatibleModel, save_compatible
from liminal_openai.service import OpenAIService

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

MAX_TOKENS = 4
#: More tokens than llama-server's 2048-token slot (4096 context over 2 slots).
OVERFLOW = "hello " * 3000


def parameters_for(model: ModelInfo, **extra: Any) -> dict[str, Any]:
    """Deterministic settings the model accepts: reasoning models take no temperature."""
    chosen: dict[str, Any] = {"seed": 42, "max_tokens": MAX_TOKENS}
    if "temperature" in model.parameters:
        chosen["temperature"] = 0
    chosen.update(extra)
    return chosen


def ask(model: str, text: str = "Say hello.", **parameters: Any) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=parameters)


class Traffic:
    """An httpx2 client for the SDK that records every request and response it carries."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.responses: list[httpx2.Response] = []
        self.client = httpx2.AsyncClient(
            event_hooks={"request": [self._on_request], "response": [self._on_response]}
        )

    async def _on_request(self, request: httpx2.Request) -> None:
        self.requests.append(request)

    async def _on_response(self, response: httpx2.Response) -> None:
        self.responses.append(response)

    def chat_requests(self) -> int:
        return sum(1 for r in self.requests if r.url.path.endswith("/chat/completions"))

    async def all_closed(self, within: float = 2.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.responses and all(r.is_closed for r in self.responses):
                return True
            await asyncio.sleep(0.01)
        return False


@pytest.fixture
def openai_env(llama_server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", llama_server.api_key)
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    for var in ("LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
async def traffic() -> AsyncIterator[Traffic]:
    recorder = Traffic()
    try:
        yield recorder
    finally:
        await recorder.client.aclose()


@pytest.fixture
def openai(openai_env: Path, traffic: Traffic) -> ManagedService:
    """The core-wrapped OpenAI service, its SDK client recording traffic."""
    factory = LlmServiceFactory(
        plugins=Plugins(), policy=RetryPolicy(max_attempts=2, base=0.01, cap=0.05)
    )
    managed = factory.for_provider("openai")
    assert isinstance(managed.service, OpenAIService)
    managed.service = OpenAIService(managed.service.context, http_client=traffic.client)
    return managed


async def collect(service: ManagedService, request: ChatRequest) -> list[object]:
    return [event async for event in service.stream(request)]


async def answer(service: ManagedService, request: ChatRequest, streaming: bool) -> object:
    """One answer, streamed (its events) or not (its ChatResult)."""
    return await collect(service, request) if streaming else await service.complete(request)


def check_stream(events: list[object], max_tokens: int = MAX_TOKENS) -> tuple[Finish, Usage]:
    """The stream invariant: text, usage, then exactly one final Finish."""
    finishes = [e for e in events if isinstance(e, Finish)]
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(finishes) == 1
    assert events[-1] is finishes[0]
    assert len(usages) == 1
    assert any(isinstance(e, TextDelta) and e.text for e in events)
    assert all(isinstance(e, (TextDelta, Usage, Finish)) for e in events)
    usage = usages[0]
    assert usage.input > 0
    assert 0 < usage.output <= max_tokens
    return finishes[0], usage


# -- every catalog model, streaming and not -------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
async def test_stream_each_catalog_model(
    openai: ManagedService, traffic: Traffic, model: ModelInfo
) -> None:
    events = await collect(openai, ask(model.id, **parameters_for(model)))
    finish, usage = check_stream(events)
    assert finish.reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert finish.raw_reason in ("length", "stop")
    if usage.output < MAX_TOKENS:
        assert finish.reason is FinishReason.STOP
    sent = traffic.requests[0]
    body = sent.read().decode()
    assert f'"model":"{model.id}"' in body.replace(" ", "")
    token_field = "max_completion_tokens" if model.capabilities.reasoning else "max_tokens"
    assert f'"{token_field}":{MAX_TOKENS}' in body.replace(" ", "")
    assert await traffic.all_closed()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
async def test_complete_each_catalog_model(openai: ManagedService, model: ModelInfo) -> None:
    result = await openai.complete(ask(model.id, **parameters_for(model)))
    assert result.model == model.id
    assert result.text
    assert result.usage is not None
    assert result.usage.input > 0
    assert 0 < result.usage.output <= MAX_TOKENS
    assert result.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert result.raw_finish_reason in ("length", "stop")


# -- finish reasons --------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_small_max_tokens_finishes_with_length(
    openai: ManagedService, streaming: bool
) -> None:
    request = ask(
        "gpt-4o", "Write a long story about a dragon.", temperature=0, seed=1, max_tokens=1
    )
    if streaming:
        finish, usage = check_stream(await collect(openai, request), max_tokens=1)
        assert (finish, usage.output) == (Finish(FinishReason.LENGTH, "length"), 1)
    else:
        result = await openai.complete(request)
        assert result.finish_reason is FinishReason.LENGTH
        assert result.usage is not None
        assert result.usage.output == 1


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_finished_answer_stops(openai: ManagedService, streaming: bool) -> None:
    request = ask("gpt-4o", "Say hello.", temperature=0, seed=42, max_tokens=200)
    if streaming:
        finish, usage = check_stream(await collect(openai, request), max_tokens=200)
        assert finish == Finish(FinishReason.STOP, "stop")
        assert usage.output < 200
    else:
        result = await openai.complete(request)
        assert result.finish_reason is FinishReason.STOP
        assert result.usage is not None
        assert result.usage.output < 200


async def test_reasoning_model_with_effort_and_json_mode(openai: ManagedService) -> None:
    request = ask("o3", max_tokens=8, seed=1, reasoning_effort="low", response_format="json")
    result = await openai.complete(request)
    assert result.usage is not None
    assert 0 < result.usage.output <= 8


async def test_system_prompt_and_history_are_sent(openai: ManagedService, traffic: Traffic) -> None:
    request = ChatRequest(
        "gpt-4o",
        (Message(Role.USER, "Hi"), Message(Role.ASSISTANT, "Hello!"), Message(Role.USER, "Bye")),
        system="Answer in one word.",
        parameters={"temperature": 0, "seed": 3, "max_tokens": 3},
    )
    result = await openai.complete(request)
    assert result.usage is not None
    assert result.usage.input > 10
    body = traffic.requests[0].read().decode()
    assert body.index("Answer in one word.") < body.index("Hi") < body.index("Bye")


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_wrong_key_is_auth_invalid_and_not_retried(
    openai: ManagedService, traffic: Traffic, monkeypatch: pytest.MonkeyPatch, streaming: bool
) -> None:
    wrong = "sk-wrong-key-for-llama-0000"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    request = ask("gpt-4o", temperature=0, max_tokens=2)
    with pytest.raises(LiminalError) as caught:
        await answer(openai, request, streaming)
    error = caught.value
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.status == 401
    assert error.exit_code == 3
    assert wrong not in str(error)
    assert wrong not in repr(error)
    assert traffic.chat_requests() == 1


async def test_the_second_key_works_too(
    openai: ManagedService, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", llama_server.api_keys[1])
    result = await openai.complete(ask("gpt-4o", temperature=0, max_tokens=2))
    assert result.usage is not None


async def test_an_explicit_key_wins_over_the_environment(
    openai_env: Path, traffic: Traffic, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liminal.keys.pool import ApiKeyManager

    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-for-llama-0001")
    keys = ApiKeyManager({"openai": Secret(llama_server.api_keys[1])})
    managed = LlmServiceFactory(plugins=Plugins(), keys=keys).for_provider("openai")
    managed.service = OpenAIService(managed.service.context, http_client=traffic.client)  # type: ignore[attr-defined]
    await managed.complete(ask("gpt-4o", max_tokens=2))
    assert traffic.requests[0].headers["authorization"] == f"Bearer {llama_server.api_keys[1]}"


async def test_validate_key_and_list_remote_models(
    openai: ManagedService, llama_server: LlamaServer
) -> None:
    assert await openai.validate_key(Secret(llama_server.api_key)) is KeyStatus.VALID
    # llama-server serves /v1/models without checking the key, so a wrong key cannot be told
    # apart there; INVALID is covered against a fake transport in the unit tests.
    assert await openai.list_remote_models() == [llama_server.alias]


async def test_validate_key_when_the_server_is_gone_is_unknown(openai_env: Path) -> None:
    factory = LlmServiceFactory(plugins=Plugins())
    managed = factory.for_provider("openai")
    service = managed.service
    assert isinstance(service, OpenAIService)
    gone = OpenAIService(
        type(service.context)(
            provider=service.context.provider,
            timeouts=service.context.timeouts,
            model_info=service.context.model_info,
            base_url="http://127.0.0.1:9/v1",
        )
    )
    managed.service = gone
    assert await managed.validate_key(Secret("sk-any-key-at-all-00")) is KeyStatus.UNKNOWN


# -- context overflow -----------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_prompt_over_the_context_is_context_length_exceeded(
    openai: ManagedService, traffic: Traffic, streaming: bool
) -> None:
    request = ask("gpt-4o", OVERFLOW, max_tokens=4)
    with pytest.raises(LiminalError) as caught:
        await answer(openai, request, streaming)
    assert caught.value.code is ErrorCode.CONTEXT_LENGTH_EXCEEDED
    assert caught.value.status == 400
    assert caught.value.exit_code == 6
    assert traffic.chat_requests() == 1


# -- cancellation ---------------------------------------------------------------------------


async def slots_idle(llama_server: LlamaServer, within: float = 3.0) -> bool:
    """Whether llama-server stopped generating (it does once the client hangs up)."""
    headers = {"authorization": f"Bearer {llama_server.api_key}"}
    deadline = time.monotonic() + within
    async with httpx2.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            slots = (await client.get(llama_server.root_url + "/slots", headers=headers)).json()
            if not any(slot.get("is_processing") for slot in slots):
                return True
            await asyncio.sleep(0.05)
    return False


LONG = ask("gpt-4o", "Write a long story about a dragon.", temperature=0, seed=1, max_tokens=1500)


async def test_leaving_the_stream_early_closes_it(
    openai: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    texts = 0
    async with contextlib.aclosing(openai.stream(LONG)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                texts += 1
                if texts == 3:
                    break
    assert texts == 3
    assert await traffic.all_closed(within=0.5)
    assert await slots_idle(llama_server)
    again = await openai.complete(ask("gpt-4o", temperature=0, max_tokens=2))
    assert again.usage is not None


async def test_breaking_out_without_closing_still_closes_the_stream(
    openai: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    async for event in openai.stream(LONG):
        if isinstance(event, TextDelta):
            break
    # The abandoned generator is finalised by the event loop's async-generator hooks.
    assert await traffic.all_closed()
    assert await slots_idle(llama_server)


async def test_cancelling_the_task_closes_the_stream(
    openai: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    first = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for event in openai.stream(LONG):
            if isinstance(event, TextDelta):
                received.append(event.text)
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert received
    assert await traffic.all_closed()
    assert await slots_idle(llama_server)
    events = await collect(openai, ask("gpt-4o", temperature=0, seed=1, max_tokens=2))
    check_stream(events, max_tokens=2)
    assert traffic.chat_requests() == 2


# -- a declared compatible model ------------------------------------------------------------


async def test_a_declared_model_uses_its_own_key_env_not_the_openai_key(
    openai_env: Path, traffic: Traffic, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
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
