"""The Anthropic plugin against a real engine: llama-server's /v1/messages with SmolLM2.

Catalog model ids are routed to llama-server (``ANTHROPIC_BASE_URL``, without ``/v1``); the
server answers whatever model name it is sent. Asserts protocol facts (events, usage, finish
reasons, error codes, connections), never the model's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.retry import RetryPolicy
from liminal_anthropic.catalog import MODELS
from liminal_anthropic.params import DEFAULT_MAX_TOKENS
from liminal_anthropic.service import AnthropicService

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

MAX_TOKENS = 4
#: More tokens than llama-server's 2048-token slot (4096 context over 2 slots).
OVERFLOW = "hello " * 3000
#: One id per kind: newest alias (no sampling parameters), a model with sampling parameters,
#: a dated id through its alias, a deprecated model with a small output limit.
MODEL_IDS = ("claude-sonnet", "claude-opus-4-6", "claude-haiku-4-5", "claude-3-5-haiku-20241022")


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

    def message_requests(self) -> list[httpx2.Request]:
        return [r for r in self.requests if r.url.path == "/v1/messages"]

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.message_requests()[index].read())  # type: ignore[no-any-return]

    async def all_closed(self, within: float = 2.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.responses and all(r.is_closed for r in self.responses):
                return True
            await asyncio.sleep(0.01)
        return False


@pytest.fixture
def anthropic_env(
    llama_server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llama_server.root_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", llama_server.api_key)
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


def managed_service(traffic: Traffic, keys: ApiKeyManager | None = None) -> ManagedService:
    """The core-wrapped Anthropic service, its SDK client recording traffic."""
    factory = LlmServiceFactory(
        plugins=Plugins(), keys=keys, policy=RetryPolicy(max_attempts=2, base=0.01, cap=0.05)
    )
    managed = factory.for_provider("anthropic")
    assert isinstance(managed.service, AnthropicService)
    managed.service = AnthropicService(managed.service.context, http_client=traffic.client)
    return managed


@pytest.fixture
def anthropic(anthropic_env: Path, traffic: Traffic) -> ManagedService:
    return managed_service(traffic)


def catalog_model(id_or_alias: str) -> ModelInfo:
    return next(m for m in MODELS if id_or_alias in (m.id, *m.aliases))


def parameters_for(model: ModelInfo, **extra: Any) -> dict[str, Any]:
    """Deterministic settings the model accepts: the newest models take no temperature."""
    chosen: dict[str, Any] = {"max_tokens": MAX_TOKENS}
    if "temperature" in model.parameters:
        chosen["temperature"] = 0
    chosen.update(extra)
    return chosen


def ask(model: str, text: str = "Say hello.", **parameters: Any) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=parameters)


async def collect(service: ManagedService, request: ChatRequest) -> list[object]:
    return [event async for event in service.stream(request)]


async def answer(service: ManagedService, request: ChatRequest, *, streaming: bool) -> object:
    """The events of a stream, or the result of a whole answer."""
    if streaming:
        return await collect(service, request)
    return await service.complete(request)


def check_stream(
    events: list[object], max_tokens: int = MAX_TOKENS, *, sampled: bool = False
) -> tuple[Finish, Usage]:
    """The stream invariant: text, usage, then exactly one final Finish.

    ``sampled``: the model takes no temperature, so llama-server samples. When its first
    token is part of a UTF-8 character (SmolLM2 likes emoji), llama-server leaves out
    ``message_start`` (no input count) and, with a tiny budget, every text delta.
    """
    finishes = [e for e in events if isinstance(e, Finish)]
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(finishes) == 1
    assert events[-1] is finishes[0]
    assert len(usages) == 1
    assert events[-2] is usages[0]
    assert all(isinstance(e, (TextDelta, Usage, Finish)) for e in events)
    usage = usages[0]
    assert 0 < usage.output <= max_tokens
    if not sampled:
        assert any(isinstance(e, TextDelta) and e.text for e in events)
        assert usage.input > 0
    return finishes[0], usage


# -- several catalog models, streaming and not ----------------------------------------------


@pytest.mark.parametrize("model_id", MODEL_IDS)
async def test_stream_catalog_models(
    anthropic: ManagedService, traffic: Traffic, model_id: str
) -> None:
    model = catalog_model(model_id)
    events = await collect(anthropic, ask(model_id, **parameters_for(model)))
    finish, usage = check_stream(events, sampled="temperature" not in model.parameters)
    assert finish.reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert finish.raw_reason in ("max_tokens", "end_turn")
    if usage.output < MAX_TOKENS:
        assert finish.reason is FinishReason.STOP
    body = traffic.body()
    assert body["model"] == model.id
    assert body["max_tokens"] == MAX_TOKENS
    assert body["stream"] is True
    assert ("temperature" in body) is ("temperature" in model.parameters)
    assert traffic.message_requests()[0].headers["authorization"].startswith("Bearer ")
    assert await traffic.all_closed()


@pytest.mark.parametrize("model_id", MODEL_IDS)
async def test_complete_catalog_models(
    anthropic: ManagedService, traffic: Traffic, model_id: str
) -> None:
    model = catalog_model(model_id)
    result = await anthropic.complete(ask(model_id, **parameters_for(model)))
    assert result.model == model.id
    assert result.text
    assert result.usage is not None
    assert result.usage.input > 0
    assert 0 < result.usage.output <= MAX_TOKENS
    assert result.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert result.raw_finish_reason in ("max_tokens", "end_turn")
    assert "stream" not in traffic.body()


async def test_max_tokens_defaults_to_the_capped_model_limit(
    anthropic: ManagedService, traffic: Traffic
) -> None:
    events = await collect(anthropic, ask("claude-opus-4-6", "Say hello.", temperature=0))
    check_stream(events, max_tokens=DEFAULT_MAX_TOKENS)
    assert traffic.body()["max_tokens"] == DEFAULT_MAX_TOKENS


async def test_streamed_and_whole_answers_count_the_same_input(
    anthropic: ManagedService,
) -> None:
    # llama-server reports the reused prompt cache apart (cache_read_input_tokens) on a stream.
    request = ask("claude-opus-4-6", "Name a colour.", temperature=0, max_tokens=2)
    result = await anthropic.complete(request)
    _, usage = check_stream(await collect(anthropic, request), max_tokens=2)
    assert result.usage is not None
    assert usage.input == result.usage.input


# -- finish reasons --------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_small_max_tokens_finishes_with_length(
    anthropic: ManagedService, streaming: bool
) -> None:
    request = ask(
        "claude-opus-4-6", "Write a long story about a dragon.", temperature=0, max_tokens=1
    )
    if streaming:
        finish, usage = check_stream(await collect(anthropic, request), max_tokens=1)
        assert (finish, usage.output) == (Finish(FinishReason.LENGTH, "max_tokens"), 1)
    else:
        result = await anthropic.complete(request)
        assert (result.finish_reason, result.raw_finish_reason) == (
            FinishReason.LENGTH,
            "max_tokens",
        )
        assert result.usage is not None
        assert result.usage.output == 1


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_finished_answer_stops(anthropic: ManagedService, streaming: bool) -> None:
    request = ask("claude-opus-4-6", "Say hello.", temperature=0, max_tokens=200)
    if streaming:
        finish, usage = check_stream(await collect(anthropic, request), max_tokens=200)
        assert finish == Finish(FinishReason.STOP, "end_turn")
        assert usage.output < 200
    else:
        result = await anthropic.complete(request)
        assert (result.finish_reason, result.raw_finish_reason) == (FinishReason.STOP, "end_turn")


async def test_system_prompt_and_any_history_are_accepted(
    anthropic: ManagedService, traffic: Traffic
) -> None:
    request = ChatRequest(
        "claude-opus-4-6",
        (
            Message(Role.ASSISTANT, "How can I help?", model="gpt-4o"),  # e.g. from another model
            Message(Role.USER, "Hi"),
            Message(Role.USER, "Say bye"),
        ),
        system="Answer in one word.",
        parameters={"temperature": 0, "max_tokens": 3, "stop": ["\n\n"]},
    )
    events = await collect(anthropic, request)
    _, usage = check_stream(events, max_tokens=3)
    assert usage.input > 10
    body = traffic.body()
    assert body["system"] == "Answer in one word."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][-1]["content"] == "Hi\n\nSay bye"
    assert body["stop_sequences"] == ["\n\n"]


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_wrong_key_is_auth_invalid_and_not_retried(
    anthropic: ManagedService, traffic: Traffic, monkeypatch: pytest.MonkeyPatch, streaming: bool
) -> None:
    wrong = "sk-ant-wrong-key-for-llama-0000"
    monkeypatch.setenv("ANTHROPIC_API_KEY", wrong)
    request = ask("claude-sonnet", max_tokens=2)
    with pytest.raises(LiminalError) as caught:
        await answer(anthropic, request, streaming=streaming)
    error = caught.value
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.status == 401
    assert error.exit_code == 3
    assert wrong not in str(error)
    assert wrong not in repr(error)
    assert len(traffic.message_requests()) == 1
    assert traffic.message_requests()[0].headers["authorization"] == f"Bearer {wrong}"


async def test_a_rejected_key_falls_through_to_the_next(
    anthropic_env: Path, traffic: Traffic, llama_server: LlamaServer
) -> None:
    keys = ApiKeyManager({"anthropic": Secret("sk-ant-revoked-key-000001")})
    service = managed_service(traffic, keys)  # then ANTHROPIC_API_KEY (K1)
    request = ask("claude-opus-4-6", temperature=0, max_tokens=2)
    check_stream(await collect(service, request), max_tokens=2)
    sent = [r.headers["authorization"] for r in traffic.message_requests()]
    assert sent == ["Bearer sk-ant-revoked-key-000001", f"Bearer {llama_server.api_key}"]


async def test_the_second_key_works_too(
    anthropic: ManagedService, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", llama_server.api_keys[1])
    result = await anthropic.complete(ask("claude-opus-4-6", temperature=0, max_tokens=2))
    assert result.usage is not None


async def test_validate_key_and_list_remote_models(
    anthropic: ManagedService, llama_server: LlamaServer
) -> None:
    assert await anthropic.validate_key(Secret(llama_server.api_key)) is KeyStatus.VALID
    # llama-server serves /v1/models without checking the key, so a wrong key cannot be told
    # apart there; INVALID is covered against a fake transport in the unit tests.
    assert await anthropic.list_remote_models() == [llama_server.alias]


# -- context overflow -----------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_prompt_over_the_context_is_context_length_exceeded(
    anthropic: ManagedService, traffic: Traffic, streaming: bool
) -> None:
    request = ask("claude-sonnet", OVERFLOW, max_tokens=4)
    with pytest.raises(LiminalError) as caught:
        await answer(anthropic, request, streaming=streaming)
    assert caught.value.code is ErrorCode.CONTEXT_LENGTH_EXCEEDED
    assert caught.value.status == 400
    assert caught.value.exit_code == 6
    assert len(traffic.message_requests()) == 1


# -- leaving early ----------------------------------------------------------------------------


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


async def test_leaving_the_stream_early_closes_it(
    anthropic: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    long = ask(
        "claude-opus-4-6", "Write a long story about a dragon.", temperature=0, max_tokens=1500
    )
    texts = 0
    async with contextlib.aclosing(anthropic.stream(long)) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                texts += 1
                if texts == 3:
                    break
    assert texts == 3
    assert await traffic.all_closed(within=0.5)
    assert await slots_idle(llama_server)
    again = await anthropic.complete(ask("claude-opus-4-6", temperature=0, max_tokens=2))
    assert again.usage is not None
