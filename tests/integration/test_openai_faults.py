"""The OpenAI plugin under the core's retry layer, against the fault server (llmock + front).

Each test scripts faults on a real HTTP server (support/faults.py) and checks what the caller
sees: the error code, what was kept, how many requests reached the server, how long it waited.
The checks every provider must pass are in test_provider_faults.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import ChatRequest, ChatResult, ErrorCode, FinishReason, LiminalError
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from support import faultkit
from support.faultkit import IDLE_HALF_SECOND, MAX_ATTEMPTS, Retries, at_fault_server, text_of
from support.live import OPENAI

if TYPE_CHECKING:
    from support.faults import Faults
    from support.faultserver import FaultServer

pytestmark = pytest.mark.integration


@pytest.fixture
def fault_env(faults: Faults, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Faults:
    return at_fault_server(OPENAI, faults, monkeypatch, tmp_path)


def build(
    retries: Retries,
    http: httpx2.AsyncClient,
    *,
    timeouts: Timeouts | None = None,
    **policy: Any,
) -> ManagedService:
    """The core-wrapped OpenAI service on ``http`` with a fast retry policy."""
    return faultkit.build(OPENAI.id, retries, http, timeouts=timeouts, **policy)


@pytest.fixture
def openai(fault_env: Faults, retries: Retries, http: httpx2.AsyncClient) -> ManagedService:
    return build(retries, http)


def ask(model: str = OPENAI.model) -> ChatRequest:
    return faultkit.ask(model)


async def streamed(service: ManagedService) -> list[object]:
    return await faultkit.streamed(service, ask())


async def stream_error(
    service: ManagedService, received: list[object] | None = None
) -> LiminalError:
    """The error a stream raises; the events before it go to ``received``."""
    return await faultkit.stream_error(service, ask(), received)


def assert_complete_stream(events: list[object]) -> None:
    faultkit.assert_complete_stream(events, OPENAI.raw_stop)


# -- unscripted: the fault server answers like OpenAI -----------------------------------------


async def test_unscripted_stream_and_complete(openai: ManagedService, faults: Faults) -> None:
    assert_complete_stream(await streamed(openai))
    result = await openai.complete(ask())
    assert isinstance(result, ChatResult)
    assert result.text
    assert result.finish_reason is FinishReason.STOP
    assert result.usage is not None
    assert faults.requests(OPENAI.chat_path) == 2


async def test_list_remote_models_from_the_mock(openai: ManagedService, faults: Faults) -> None:
    ids = await openai.list_remote_models()
    assert "gpt-4o" in ids
    assert faults.requests("/v1/models") == 1


# -- 429 and Retry-After ------------------------------------------------------------------------


async def test_429_without_retry_after_backs_off_and_retries(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.rate_limit(None)
    assert (await openai.complete(ask())).text
    assert faults.requests(OPENAI.chat_path) == 2
    [notice] = retries.notices
    assert 0 <= notice.delay <= 0.05  # full jitter under the policy's small cap


# -- connections ------------------------------------------------------------------------------


async def test_repeated_disconnects_end_as_network(openai: ManagedService, faults: Faults) -> None:
    faults.disconnect_before_headers(times=MAX_ATTEMPTS)
    with pytest.raises(LiminalError) as caught:
        await openai.complete(ask())
    assert caught.value.code is ErrorCode.NETWORK
    assert faults.requests(OPENAI.chat_path) == MAX_ATTEMPTS


@pytest.mark.parametrize("after_chunks", [OPENAI.events_before_text, OPENAI.events_with_text])
async def test_stream_truncated_without_finish_is_interrupted(
    openai: ManagedService, faults: Faults, after_chunks: int
) -> None:
    faults.truncate_stream(after_chunks=after_chunks)
    received: list[object] = []
    error = await stream_error(openai, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == text_of(received)
    assert bool(error.partial_text) is (after_chunks > OPENAI.events_before_text)
    assert faults.requests(OPENAI.chat_path) == 1


async def test_malformed_chunk_before_text_is_a_retried_server_error(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.malformed_chunk(after_chunks=0)
    assert_complete_stream(await streamed(openai))
    assert faults.requests(OPENAI.chat_path) == 2
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
    from support.faultserver import Respond, Step

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
    assert faults.requests(OPENAI.chat_path) == 1


async def test_retryable_error_event_before_text_is_retried(
    openai: ManagedService, faults: Faults, mock_server: FaultServer, retries: Retries
) -> None:
    script_error_event(mock_server, error_stream({"message": "busy", "type": "server_error"}))
    assert_complete_stream(await streamed(openai))
    assert faults.requests(OPENAI.chat_path) == 2
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
    assert faults.requests(OPENAI.chat_path) == 1


# -- stalls and the idle timeout -------------------------------------------------------------


async def test_stall_before_any_text_is_timeout(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(retries, http, timeouts=IDLE_HALF_SECOND, max_attempts=2)
    fault_env.stall(5, after_chunks=OPENAI.events_before_text, times=2)
    started = time.monotonic()
    error = await stream_error(service)
    elapsed = time.monotonic() - started
    assert error.code is ErrorCode.TIMEOUT
    assert error.exit_code == 5
    assert "idle" in error.message
    assert fault_env.requests(OPENAI.chat_path) == 2
    assert [n.code for n in retries.notices] == [ErrorCode.TIMEOUT]
    assert 1.0 <= elapsed < 3.0  # two idle timeouts of 0.5 s, not the 5 s stall


async def test_stall_before_the_headers_is_timeout(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    # Streaming: the headers must come within the idle limit.
    service = build(retries, http, timeouts=IDLE_HALF_SECOND, max_attempts=1)
    fault_env.stall(5)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await streamed(service)
    assert caught.value.code is ErrorCode.TIMEOUT
    assert time.monotonic() - started < 2.0
    assert fault_env.requests(OPENAI.chat_path) == 1


async def test_a_whole_answer_may_take_until_the_total_deadline(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    # Without streaming nothing arrives before the answer is done: only the total bounds it.
    patient = build(retries, http, timeouts=IDLE_HALF_SECOND, max_attempts=1)
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
    assert fault_env.requests(OPENAI.chat_path) == 2


async def test_a_single_stall_is_retried(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(retries, http, timeouts=IDLE_HALF_SECOND)
    fault_env.stall(5, after_chunks=OPENAI.events_before_text)
    assert_complete_stream(await streamed(service))
    assert fault_env.requests(OPENAI.chat_path) == 2


async def test_total_deadline(
    fault_env: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(
        retries, http, timeouts=Timeouts(connect=2.0, idle=5.0, total=0.6), max_attempts=1
    )
    fault_env.stall(5, after_chunks=OPENAI.events_before_text)
    error = await stream_error(service)
    assert error.code is ErrorCode.TIMEOUT
    assert "total deadline" in error.message
