"""OpenAI against the fault server: 429 and Retry-After, quota, 5xx; exact request counts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import (
    ChatResult,
    ErrorCode,
    FinishReason,
    LiminalError,
)
from liminal.managed import ManagedService
from support.faultkit import MAX_ATTEMPTS, Retries

from .helpers import (
    CHAT,
    answer,
    ask,
    assert_complete_stream,
    streamed,
)

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

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
