"""The Anthropic plugin under the core's retry layer, against the fault server (llmock + front).

Each test scripts faults on a real HTTP server (support/faults.py, ``provider="anthropic"``) and
checks what the caller sees: the error code, what was kept, how many requests reached the
server, how long it waited. The checks every provider must pass are in test_provider_faults.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anthropic as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import ChatRequest, ErrorCode, Finish, FinishReason, LiminalError
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from support import faultkit
from support.faultkit import MAX_ATTEMPTS, Retries, at_fault_server, text_of
from support.live import ANTHROPIC

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

MESSAGES = ANTHROPIC.chat_path
#: llmock streams: message_start, content_block_start, ping, then "Simulated ", "answer "...
FIRST_TEXT_CHUNK = ANTHROPIC.events_before_text


@pytest.fixture
def fault_env(faults: Faults, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Faults:
    return at_fault_server(ANTHROPIC, faults, monkeypatch, tmp_path)


def build(retries: Retries, *, timeouts: Timeouts | None = None, **policy: Any) -> ManagedService:
    return faultkit.build(ANTHROPIC.id, retries, timeouts=timeouts, **policy)


@pytest.fixture
def anthropic(fault_env: Faults, retries: Retries) -> ManagedService:
    return build(retries)


def ask(model: str = "claude-sonnet") -> ChatRequest:
    return faultkit.ask(model)


async def answer(service: ManagedService, *, streaming: bool) -> str:
    """The text of a streamed (checked whole) or a complete answer."""
    if streaming:
        events = await faultkit.streamed(service, ask())
        faultkit.assert_complete_stream(events, ANTHROPIC.raw_stop)
        return text_of(events)
    return (await service.complete(ask())).text


async def stream_error(
    service: ManagedService, received: list[object] | None = None
) -> LiminalError:
    return await faultkit.stream_error(service, ask(), received)


# -- unscripted: the fault server answers like Anthropic ---------------------------------------


async def test_unscripted_stream_and_complete(anthropic: ManagedService, faults: Faults) -> None:
    assert await answer(anthropic, streaming=True)
    result = await anthropic.complete(ask())
    assert result.text
    assert result.model == "claude-sonnet-5-5"
    assert result.finish_reason is FinishReason.STOP
    assert result.usage is not None
    assert faults.requests(MESSAGES) == 2
    assert [seen.provider for seen in faults.seen()] == ["anthropic", "anthropic"]


# -- 429 and Retry-After ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected"), [("seconds", 1.0), ("milliseconds", 0.6), ("http-date", None)]
)
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_429_waits_for_retry_after_then_succeeds(
    anthropic: ManagedService,
    faults: Faults,
    retries: Retries,
    form: str,
    expected: float | None,
    streaming: bool,
) -> None:
    if form == "seconds":
        faults.rate_limit(1, provider="anthropic")
    elif form == "milliseconds":
        faults.rate_limit_ms(600, provider="anthropic")
    else:
        faults.rate_limit_until(1, provider="anthropic")  # rounded up to a whole second
    started = time.monotonic()
    assert await answer(anthropic, streaming=streaming)
    elapsed = time.monotonic() - started
    assert faults.requests(MESSAGES) == 2
    [notice] = retries.notices
    assert notice.code is ErrorCode.RATE_LIMITED
    if expected is None:  # an HTTP date has whole-second resolution: one to two seconds
        assert 0.9 <= notice.delay <= 2.05
        expected = notice.delay
    else:
        assert notice.delay == pytest.approx(expected)  # honoured as given, no jitter
    assert expected - 0.05 <= elapsed <= expected + 0.75


async def test_persistent_429_is_rate_limited_after_max_attempts(
    anthropic: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.rate_limit_ms(20, times=MAX_ATTEMPTS + 2, provider="anthropic")
    with pytest.raises(LiminalError) as caught:
        await anthropic.complete(ask())
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.exit_code == 4
    assert faults.requests(MESSAGES) == MAX_ATTEMPTS
    assert retries.codes() == [ErrorCode.RATE_LIMITED] * (MAX_ATTEMPTS - 1)


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_credit_balance_too_low_is_quota_exhausted_and_sent_once(
    anthropic: ManagedService, faults: Faults, retries: Retries, streaming: bool
) -> None:
    faults.insufficient_quota(provider="anthropic")
    with pytest.raises(LiminalError) as caught:
        await answer(anthropic, streaming=streaming)
    error = caught.value
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert error.status == 400
    assert error.exit_code == 4
    assert faults.requests(MESSAGES) == 1
    assert retries.notices == []


# -- 5xx and 529 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [(529, ErrorCode.OVERLOADED), (503, ErrorCode.OVERLOADED), (500, ErrorCode.SERVER_ERROR)],
)
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_server_trouble_is_retried(
    anthropic: ManagedService,
    faults: Faults,
    retries: Retries,
    status: int,
    code: ErrorCode,
    streaming: bool,
) -> None:
    faults.server_error(status, provider="anthropic")
    assert await answer(anthropic, streaming=streaming)
    assert faults.requests(MESSAGES) == 2
    assert retries.codes() == [code]


async def test_persistent_529_gives_up_after_max_attempts(
    anthropic: ManagedService, faults: Faults
) -> None:
    faults.server_error(529, times=MAX_ATTEMPTS, provider="anthropic")
    error = await stream_error(anthropic)
    assert error.code is ErrorCode.OVERLOADED
    assert error.exit_code == 5
    assert f"gave up after {MAX_ATTEMPTS} attempts" in error.message
    assert faults.requests(MESSAGES) == MAX_ATTEMPTS


# -- an overloaded_error event inside a 200 stream -------------------------------------------------


async def test_overloaded_event_after_text_keeps_the_partial_text(
    anthropic: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.overloaded_in_stream(partial_text="Hel")
    received: list[object] = []
    error = await stream_error(anthropic, received)
    assert error.code is ErrorCode.OVERLOADED
    assert error.exit_code == 5
    assert error.partial_text == "Hel" == text_of(received)
    assert not any(isinstance(e, Finish) for e in received)
    assert faults.requests(MESSAGES) == 1  # never retried after the first token
    assert retries.notices == []


async def test_overloaded_event_before_text_is_retried(
    anthropic: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.overloaded_in_stream()
    assert await answer(anthropic, streaming=True)
    assert faults.requests(MESSAGES) == 2
    assert retries.codes() == [ErrorCode.OVERLOADED]


# -- connections and broken streams ------------------------------------------------------------


@pytest.mark.parametrize("after_chunks", [FIRST_TEXT_CHUNK, FIRST_TEXT_CHUNK + 2])
async def test_stream_truncated_before_message_stop_is_interrupted(
    anthropic: ManagedService, faults: Faults, retries: Retries, after_chunks: int
) -> None:
    faults.truncate_stream(after_chunks=after_chunks, provider="anthropic")
    received: list[object] = []
    error = await stream_error(anthropic, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "message_stop" in error.message
    assert error.partial_text == text_of(received)
    assert bool(error.partial_text) is (after_chunks > FIRST_TEXT_CHUNK)
    assert faults.requests(MESSAGES) == 1  # a silent end is not retried, even before text
    assert retries.notices == []
