"""The OpenAI plugin under the core's retry layer, against the fault server (llmock + front).

Each test scripts faults on a real HTTP server (tests/faults.py) and checks what the caller
sees: the error code, what was kept, how many requests reached the server, how long it waited.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import (
    ChatRequest,
    ChatResult,
    ErrorCode,
    Finish,
    FinishReason,
    LiminalError,
    Message,
    Role,
    TextDelta,
    Usage,
)
from liminal.client import ManagedService
from liminal.factory import LlmServiceFactory
from liminal.plugins import Plugins
from liminal.retry import RetryNotice, RetryPolicy
from liminal.service import Timeouts
from liminal_openai.service import OpenAIService

if TYPE_CHECKING:
    from faults import Faults
    from faultserver import FaultServer

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"
MAX_ATTEMPTS = 3
#: llmock's answer to "Say hello" streams as: "" (role only), "Simulated ", "answer ", ...
FIRST_TEXT_CHUNK = 1


class Retries:
    def __init__(self) -> None:
        self.notices: list[RetryNotice] = []

    def __call__(self, notice: RetryNotice) -> None:
        self.notices.append(notice)


@pytest.fixture
def fault_env(faults: Faults, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Faults:
    monkeypatch.setenv("OPENAI_BASE_URL", faults.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fault-test-key-0001")
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    for var in ("LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return faults


@pytest.fixture
def retries() -> Retries:
    return Retries()


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    """The SDK's HTTP client, closed after the test (no socket outlives it)."""
    async with httpx2.AsyncClient() as client:
        yield client


def build(
    retries: Retries,
    http: httpx2.AsyncClient,
    *,
    timeouts: Timeouts | None = None,
    **policy: Any,
) -> ManagedService:
    """The core-wrapped OpenAI service with a fast retry policy (as ``LlmServiceFactory``)."""
    settings: dict[str, Any] = {
        "max_attempts": MAX_ATTEMPTS,
        "base": 0.01,
        "cap": 0.05,
        "deadline": 20.0,
        "retry_after_cap": 10.0,
    }
    settings.update(policy)
    factory = LlmServiceFactory(
        plugins=Plugins(),
        policy=RetryPolicy(**settings),
        timeouts=timeouts or Timeouts(connect=2.0, idle=5.0, total=30.0),
        on_retry=retries,
    )
    managed = factory.for_provider("openai")
    assert isinstance(managed.service, OpenAIService)
    managed.service = OpenAIService(managed.service.context, http_client=http)
    return managed


@pytest.fixture
def openai(fault_env: Faults, retries: Retries, http: httpx2.AsyncClient) -> ManagedService:
    return build(retries, http)


def ask(model: str = "gpt-4o") -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, "Say hello"),), parameters={"max_tokens": 50})


async def streamed(service: ManagedService, request: ChatRequest | None = None) -> list[object]:
    return [event async for event in service.stream(request or ask())]


async def answer(service: ManagedService, streaming: bool) -> object:
    """One answer, streamed (its events) or not (its ChatResult)."""
    return await streamed(service) if streaming else await service.complete(ask())


async def stream_error(
    service: ManagedService, received: list[object] | None = None
) -> LiminalError:
    """The error a stream raises; the events before it go to ``received``."""
    events = received if received is not None else []
    try:
        async for event in service.stream(ask()):
            events.append(event)
    except LiminalError as error:
        return error
    raise AssertionError(f"the stream did not fail: {events}")


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def assert_complete_stream(events: list[object]) -> None:
    assert text_of(events)
    assert isinstance(events[-1], Finish)
    assert events[-1].reason is FinishReason.STOP
    assert sum(isinstance(e, Finish) for e in events) == 1
    assert any(isinstance(e, Usage) for e in events)


# -- unscripted: the fault server answers like OpenAI -----------------------------------------


async def test_unscripted_stream_and_complete(openai: ManagedService, faults: Faults) -> None:
    assert_complete_stream(await streamed(openai))
    result = await openai.complete(ask())
    assert isinstance(result, ChatResult)
    assert result.text
    assert result.finish_reason is FinishReason.STOP
    assert result.usage is not None
    assert faults.requests(CHAT) == 2


async def test_list_remote_models_from_the_mock(openai: ManagedService, faults: Faults) -> None:
    ids = await openai.list_remote_models()
    assert "gpt-4o" in ids
    assert faults.requests("/v1/models") == 1


# -- 429 and Retry-After ------------------------------------------------------------------------


def script_rate_limit(faults: Faults, form: str) -> float:
    """One 429 whose Retry-After (in ``form``) asks for about a second; the expected wait."""
    if form == "seconds":
        faults.rate_limit(1)
        return 1.0
    if form == "milliseconds":
        faults.rate_limit_ms(600)
        return 0.6
    faults.rate_limit_until(1)  # an HTTP date, rounded up to the next whole second
    return 1.0


@pytest.mark.parametrize("form", ["seconds", "milliseconds", "http-date"])
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_429_waits_for_retry_after_then_succeeds(
    openai: ManagedService, faults: Faults, retries: Retries, form: str, streaming: bool
) -> None:
    expected = script_rate_limit(faults, form)
    started = time.monotonic()
    if streaming:
        assert_complete_stream(await streamed(openai))
    else:
        assert (await openai.complete(ask())).text
    elapsed = time.monotonic() - started
    assert faults.requests(CHAT) == 2
    [notice] = retries.notices
    assert notice.code is ErrorCode.RATE_LIMITED
    if form == "http-date":  # whole-second resolution: between one and two seconds
        assert 0.9 <= notice.delay <= 2.05
        assert notice.delay - 0.05 <= elapsed <= notice.delay + 1.0
    else:
        assert notice.delay == pytest.approx(expected)  # honoured as given, no jitter
        assert expected - 0.05 <= elapsed <= expected + 1.0


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_insufficient_quota_is_sent_once(
    openai: ManagedService, faults: Faults, retries: Retries, streaming: bool
) -> None:
    faults.insufficient_quota()
    with pytest.raises(LiminalError) as caught:
        await answer(openai, streaming)
    error = caught.value
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert error.status == 429
    assert error.provider_code == "insufficient_quota"
    assert error.exit_code == 4
    assert faults.requests(CHAT) == 1
    assert retries.notices == []


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_persistent_429_is_rate_limited_after_max_attempts(
    openai: ManagedService, faults: Faults, retries: Retries, streaming: bool
) -> None:
    faults.rate_limit_ms(20, times=MAX_ATTEMPTS + 2)
    with pytest.raises(LiminalError) as caught:
        await answer(openai, streaming)
    error = caught.value
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.exit_code == 4
    assert "retry" in error.message
    assert faults.requests(CHAT) == MAX_ATTEMPTS
    assert len(retries.notices) == MAX_ATTEMPTS - 1
    assert [n.attempt for n in retries.notices] == list(range(2, MAX_ATTEMPTS + 1))


async def test_429_without_retry_after_backs_off_and_retries(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.rate_limit(None)
    assert (await openai.complete(ask())).text
    assert faults.requests(CHAT) == 2
    [notice] = retries.notices
    assert 0 <= notice.delay <= 0.05  # full jitter under the policy's small cap


async def test_retry_after_above_the_cap_is_not_slept(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(retries, http, retry_after_cap=0.5)
    fault_env.rate_limit(30)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await service.complete(ask())
    assert time.monotonic() - started < 2
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert "30 s" in caught.value.message
    assert fault_env.requests(CHAT) == 1


# -- 5xx ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, ErrorCode.SERVER_ERROR),
        (502, ErrorCode.SERVER_ERROR),
        (503, ErrorCode.OVERLOADED),
        (504, ErrorCode.SERVER_ERROR),
    ],
)
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_5xx_is_retried(
    openai: ManagedService,
    faults: Faults,
    retries: Retries,
    status: int,
    code: ErrorCode,
    streaming: bool,
) -> None:
    faults.server_error(status)
    if streaming:
        assert_complete_stream(await streamed(openai))
    else:
        assert (await openai.complete(ask())).text
    assert faults.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [code]


async def test_persistent_500_gives_up_after_max_attempts(
    openai: ManagedService, faults: Faults
) -> None:
    faults.server_error(500, times=MAX_ATTEMPTS)
    with pytest.raises(LiminalError) as caught:
        await openai.complete(ask())
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert caught.value.exit_code == 5
    assert f"gave up after {MAX_ATTEMPTS} attempts" in caught.value.message
    assert faults.requests(CHAT) == MAX_ATTEMPTS


# -- connections ------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_disconnect_before_headers_is_network_and_retried(
    openai: ManagedService, faults: Faults, retries: Retries, streaming: bool
) -> None:
    faults.disconnect_before_headers()
    if streaming:
        assert_complete_stream(await streamed(openai))
    else:
        assert (await openai.complete(ask())).text
    assert faults.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.NETWORK]


async def test_repeated_disconnects_end_as_network(openai: ManagedService, faults: Faults) -> None:
    faults.disconnect_before_headers(times=MAX_ATTEMPTS)
    with pytest.raises(LiminalError) as caught:
        await openai.complete(ask())
    assert caught.value.code is ErrorCode.NETWORK
    assert faults.requests(CHAT) == MAX_ATTEMPTS


async def test_disconnect_mid_stream_is_interrupted_with_partial_text(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.disconnect_mid_stream(after_chunks=FIRST_TEXT_CHUNK + 2)
    received: list[object] = []
    error = await stream_error(openai, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.exit_code == 5
    assert "lost the connection" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert not any(isinstance(e, Finish) for e in received)
    assert faults.requests(CHAT) == 1  # never retried after the first token
    assert retries.notices == []


async def test_disconnect_before_the_first_text_is_retried(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.disconnect_mid_stream(after_chunks=FIRST_TEXT_CHUNK)  # only the role chunk went out
    assert_complete_stream(await streamed(openai))
    assert faults.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.NETWORK]


@pytest.mark.parametrize("after_chunks", [FIRST_TEXT_CHUNK, FIRST_TEXT_CHUNK + 2])
async def test_stream_truncated_without_finish_is_interrupted(
    openai: ManagedService, faults: Faults, after_chunks: int
) -> None:
    faults.truncate_stream(after_chunks=after_chunks)
    received: list[object] = []
    error = await stream_error(openai, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == text_of(received)
    assert bool(error.partial_text) is (after_chunks > FIRST_TEXT_CHUNK)
    assert faults.requests(CHAT) == 1


async def test_malformed_chunk_after_text_is_interrupted_with_partial_text(
    openai: ManagedService, faults: Faults
) -> None:
    faults.malformed_chunk(after_chunks=FIRST_TEXT_CHUNK + 1)
    received: list[object] = []
    error = await stream_error(openai, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "malformed" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert faults.requests(CHAT) == 1


async def test_malformed_chunk_before_text_is_a_retried_server_error(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.malformed_chunk(after_chunks=0)
    assert_complete_stream(await streamed(openai))
    assert faults.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.SERVER_ERROR]


# -- error events inside a 200 stream -------------------------------------------------------


def error_stream(error: dict[str, Any], *, text: str = "") -> bytes:
    events = []
    if text:
        delta = {"role": "assistant", "content": text}
        events.append(
            {
                "id": "chatcmpl-fault",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "gpt-4o",
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
        )
    events.append({"error": error})
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events).encode()


def script_error_event(server: FaultServer, body: bytes, times: int = 1) -> None:
    from faultserver import Respond, Step

    action = Respond(200, (("cache-control", "no-cache"),), body, "text/event-stream")
    server.script(*(Step(action, "openai", True) for _ in range(times)))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            {
                "message": "too long",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            },
            ErrorCode.CONTEXT_LENGTH_EXCEEDED,
        ),
        (
            {"message": "flagged", "type": "invalid_request_error", "code": "content_filter"},
            ErrorCode.CONTENT_FILTERED,
        ),
        ({"message": "bad value", "type": "invalid_request_error"}, ErrorCode.INVALID_REQUEST),
    ],
)
async def test_error_event_is_mapped_and_not_retried(
    openai: ManagedService,
    faults: Faults,
    mock_server: FaultServer,
    error: dict[str, Any],
    code: ErrorCode,
) -> None:
    script_error_event(mock_server, error_stream(error))
    error_raised = await stream_error(openai)
    assert error_raised.code is code
    assert error["message"] in error_raised.message
    assert faults.requests(CHAT) == 1


async def test_retryable_error_event_before_text_is_retried(
    openai: ManagedService, faults: Faults, mock_server: FaultServer, retries: Retries
) -> None:
    script_error_event(mock_server, error_stream({"message": "busy", "type": "server_error"}))
    assert_complete_stream(await streamed(openai))
    assert faults.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.SERVER_ERROR]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            {"message": "The server had an error", "type": "server_error"},
            ErrorCode.STREAM_INTERRUPTED,
        ),
        ({"message": "Overloaded", "type": "overloaded_error"}, ErrorCode.OVERLOADED),
        (
            {
                "message": "too long",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            },
            ErrorCode.CONTEXT_LENGTH_EXCEEDED,
        ),
    ],
)
async def test_error_event_after_text_keeps_the_partial_text(
    openai: ManagedService,
    faults: Faults,
    mock_server: FaultServer,
    error: dict[str, Any],
    code: ErrorCode,
) -> None:
    script_error_event(mock_server, error_stream(error, text="Partial answer"))
    received: list[object] = []
    raised = await stream_error(openai, received)
    assert raised.code is code
    assert raised.partial_text == "Partial answer" == text_of(received)
    assert faults.requests(CHAT) == 1


# -- stalls and the idle timeout -------------------------------------------------------------


async def test_stall_before_any_text_is_timeout(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=30.0), max_attempts=2
    )
    fault_env.stall(5, after_chunks=FIRST_TEXT_CHUNK, times=2)
    started = time.monotonic()
    error = await stream_error(service)
    elapsed = time.monotonic() - started
    assert error.code is ErrorCode.TIMEOUT
    assert error.exit_code == 5
    assert "idle" in error.message
    assert fault_env.requests(CHAT) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.TIMEOUT]
    assert 1.0 <= elapsed < 3.0  # two idle timeouts of 0.5 s, not the 5 s stall


async def test_stall_before_the_headers_is_timeout(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    # Streaming: the headers must come within the idle limit.
    service = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=30.0), max_attempts=1
    )
    fault_env.stall(5)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await streamed(service)
    assert caught.value.code is ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2.0
    assert fault_env.requests(CHAT) == 1


async def test_a_whole_answer_may_take_until_the_total_deadline(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    # Without streaming nothing arrives before the answer is done: only the total bounds it.
    patient = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=30.0), max_attempts=1
    )
    fault_env.stall(1.0)
    assert (await patient.complete(ask())).text
    impatient = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=1.0), max_attempts=1
    )
    fault_env.stall(5)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await impatient.complete(ask())
    assert caught.value.code is ErrorCode.TIMEOUT
    assert "total deadline" in caught.value.message
    assert time.monotonic() - started < 3.0
    assert fault_env.requests(CHAT) == 2


async def test_a_single_stall_is_retried(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=30.0))
    fault_env.stall(5, after_chunks=FIRST_TEXT_CHUNK)
    assert_complete_stream(await streamed(service))
    assert fault_env.requests(CHAT) == 2


async def test_stall_after_text_is_interrupted_not_retried(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(retries, http, timeouts=Timeouts(connect=2.0, idle=0.5, total=30.0))
    fault_env.stall(5, after_chunks=FIRST_TEXT_CHUNK + 2)
    received: list[object] = []
    started = time.monotonic()
    error = await stream_error(service, received)
    assert time.monotonic() - started < 2.0
    # A timeout after the first token breaks the answer: the text so far is kept.
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "idle timeout" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert fault_env.requests(CHAT) == 1


async def test_total_deadline(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=5.0, total=0.6), max_attempts=1
    )
    fault_env.stall(5, after_chunks=FIRST_TEXT_CHUNK)
    error = await stream_error(service)
    assert error.code is ErrorCode.TIMEOUT
    assert "total deadline" in error.message
