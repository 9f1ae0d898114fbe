"""Every cloud provider under the core's retry layer against the fault server (llmock + front).

Each test runs once per provider (``rig``) and checks what the caller sees: the error code,
what was kept, how many requests reached the server, how long it waited. What only one
provider's protocol does is in openai_faults/ and test_anthropic_faults.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anthropic as _anthropic  # noqa: F401  # imported now: no timed call pays for its first import
import attrs
import httpx2
import openai as _openai  # noqa: F401
import pytest

from liminal import ErrorCode, Finish, LiminalError
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from support import faultkit
from support.faultkit import IDLE_HALF_SECOND, MAX_ATTEMPTS, Retries, text_of
from support.live import ANTHROPIC, OPENAI, PROVIDERS, LiveProvider

if TYPE_CHECKING:
    from liminal import ChatRequest
    from support.faults import Faults

pytestmark = pytest.mark.integration


@attrs.define
class Rig:
    """One provider pointed at the fault server, and what a test asks of it."""

    provider: LiveProvider
    faults: Faults
    retries: Retries
    http: httpx2.AsyncClient

    def service(self, *, timeouts: Timeouts | None = None, **policy: Any) -> ManagedService:
        """Its core-wrapped service with the fast retry policy (``policy`` overrides it)."""
        return faultkit.build(
            self.provider.id, self.retries, self.http, timeouts=timeouts, **policy
        )

    def ask(self) -> ChatRequest:
        return faultkit.ask(self.provider.model)

    def requests(self) -> int:
        """How many requests for an answer reached the server."""
        return self.faults.requests(self.provider.chat_path)

    async def answer(self, service: ManagedService, *, streaming: bool) -> None:
        """An answer that arrives whole: a complete stream, or a result with text."""
        if streaming:
            events = await faultkit.streamed(service, self.ask())
            faultkit.assert_complete_stream(events, self.provider.raw_stop)
        else:
            assert (await service.complete(self.ask())).text

    async def failure(self, service: ManagedService, *, streaming: bool) -> LiminalError:
        with pytest.raises(LiminalError) as caught:
            await self.answer(service, streaming=streaming)
        return caught.value

    async def stream_error(
        self, service: ManagedService, received: list[object] | None = None
    ) -> LiminalError:
        return await faultkit.stream_error(service, self.ask(), received)


@pytest.fixture(params=PROVIDERS, ids=lambda provider: provider.id)
def rig(
    request: pytest.FixtureRequest,
    faults: Faults,
    retries: Retries,
    http: httpx2.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Rig:
    """Each cloud provider in turn, pointed at the fault server."""
    provider: LiveProvider = request.param
    faultkit.at_fault_server(provider, faults, monkeypatch, tmp_path)
    return Rig(provider, faults, retries, http)


@pytest.fixture(params=[True, False], ids=["stream", "complete"])
def streaming(request: pytest.FixtureRequest) -> bool:
    """The answer streamed, then whole."""
    return bool(request.param)


# -- 429 and Retry-After ------------------------------------------------------------------------

#: How late after its Retry-After a provider's retried answer may still arrive.
RETRY_AFTER_SLACK = {"openai": 1.0, "anthropic": 0.75}


@pytest.mark.parametrize("form", ["seconds", "milliseconds", "http-date"])
async def test_429_waits_for_retry_after_then_succeeds(
    rig: Rig, form: str, streaming: bool
) -> None:
    """One 429 whose Retry-After (in ``form``) asks for about a second."""
    provider = rig.provider.id
    if form == "seconds":
        rig.faults.rate_limit(1, provider=provider)
        expected: float | None = 1.0
    elif form == "milliseconds":
        rig.faults.rate_limit_ms(600, provider=provider)
        expected = 0.6
    else:
        rig.faults.rate_limit_until(1, provider=provider)  # rounded up to a whole second
        expected = None
    started = time.monotonic()
    await rig.answer(rig.service(), streaming=streaming)
    elapsed = time.monotonic() - started
    assert rig.requests() == 2
    [notice] = rig.retries.notices
    assert notice.code is ErrorCode.RATE_LIMITED
    if expected is None:  # an HTTP date has whole-second resolution: one to two seconds
        assert 0.9 <= notice.delay <= 2.05
        expected = notice.delay
    else:
        assert notice.delay == pytest.approx(expected)  # honoured as given, no jitter
    assert expected - 0.05 <= elapsed <= expected + RETRY_AFTER_SLACK[provider]


async def test_persistent_429_is_rate_limited_after_max_attempts(rig: Rig, streaming: bool) -> None:
    rig.faults.rate_limit_ms(20, times=MAX_ATTEMPTS + 2, provider=rig.provider.id)
    error = await rig.failure(rig.service(), streaming=streaming)
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.exit_code == 4
    assert "retry" in error.message
    assert rig.requests() == MAX_ATTEMPTS
    assert rig.retries.codes() == [ErrorCode.RATE_LIMITED] * (MAX_ATTEMPTS - 1)
    assert [n.attempt for n in rig.retries.notices] == list(range(2, MAX_ATTEMPTS + 1))


async def test_retry_after_above_the_cap_is_not_slept(rig: Rig) -> None:
    service = rig.service(retry_after_cap=0.5)
    rig.faults.rate_limit(30, provider=rig.provider.id)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await service.complete(rig.ask())
    assert time.monotonic() - started < 2
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert "30 s" in caught.value.message
    assert rig.requests() == 1


@pytest.mark.parametrize(
    ("rig", "status", "provider_code"),
    [
        pytest.param(OPENAI, 429, "insufficient_quota", id="openai"),
        pytest.param(ANTHROPIC, 400, "invalid_request_error", id="anthropic"),
    ],
    indirect=["rig"],
)
async def test_quota_exhausted_is_sent_once(
    rig: Rig, status: int, provider_code: str, streaming: bool
) -> None:
    """OpenAI says insufficient_quota in a 429, Anthropic a too-low credit balance in a 400."""
    rig.faults.insufficient_quota(provider=rig.provider.id)
    error = await rig.failure(rig.service(), streaming=streaming)
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert error.status == status
    assert error.provider_code == provider_code
    assert error.exit_code == 4
    assert rig.requests() == 1
    assert rig.retries.notices == []


# -- 5xx -------------------------------------------------------------------------------------------

#: Each provider's ways of being in trouble, and the code each is retried as.
SERVER_TROUBLE = [
    *(
        pytest.param(OPENAI, status, code, id=f"openai-{status}")
        for status, code in [
            (500, ErrorCode.SERVER_ERROR),
            (502, ErrorCode.SERVER_ERROR),
            (503, ErrorCode.OVERLOADED),
            (504, ErrorCode.SERVER_ERROR),
        ]
    ),
    *(
        pytest.param(ANTHROPIC, status, code, id=f"anthropic-{status}")
        for status, code in [
            (529, ErrorCode.OVERLOADED),
            (503, ErrorCode.OVERLOADED),
            (500, ErrorCode.SERVER_ERROR),
        ]
    ),
]


@pytest.mark.parametrize(("rig", "status", "code"), SERVER_TROUBLE, indirect=["rig"])
async def test_server_trouble_is_retried(
    rig: Rig, status: int, code: ErrorCode, streaming: bool
) -> None:
    rig.faults.server_error(status, provider=rig.provider.id)
    await rig.answer(rig.service(), streaming=streaming)
    assert rig.requests() == 2
    assert rig.retries.codes() == [code]


@pytest.mark.parametrize(
    ("rig", "status", "code", "streaming"),
    [
        pytest.param(OPENAI, 500, ErrorCode.SERVER_ERROR, False, id="openai-500-complete"),
        pytest.param(ANTHROPIC, 529, ErrorCode.OVERLOADED, True, id="anthropic-529-stream"),
    ],
    indirect=["rig"],
)
async def test_persistent_server_trouble_gives_up_after_max_attempts(
    rig: Rig, status: int, code: ErrorCode, streaming: bool
) -> None:
    rig.faults.server_error(status, times=MAX_ATTEMPTS, provider=rig.provider.id)
    error = await rig.failure(rig.service(), streaming=streaming)
    assert error.code is code
    assert error.exit_code == 5
    assert f"gave up after {MAX_ATTEMPTS} attempts" in error.message
    assert rig.requests() == MAX_ATTEMPTS


# -- connections and broken streams ------------------------------------------------------------


async def test_disconnect_before_headers_is_network_and_retried(rig: Rig, streaming: bool) -> None:
    rig.faults.disconnect_before_headers(provider=rig.provider.id)
    await rig.answer(rig.service(), streaming=streaming)
    assert rig.requests() == 2
    assert rig.retries.codes() == [ErrorCode.NETWORK]


async def test_disconnect_mid_stream_is_interrupted_with_partial_text(rig: Rig) -> None:
    rig.faults.disconnect_mid_stream(
        after_chunks=rig.provider.events_with_text, provider=rig.provider.id
    )
    received: list[object] = []
    error = await rig.stream_error(rig.service(), received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.exit_code == 5
    assert "lost the connection" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert not any(isinstance(e, Finish) for e in received)
    assert rig.requests() == 1  # never retried after the first token
    assert rig.retries.notices == []


async def test_disconnect_before_the_first_text_is_retried(rig: Rig) -> None:
    rig.faults.disconnect_mid_stream(
        after_chunks=rig.provider.events_before_text, provider=rig.provider.id
    )
    await rig.answer(rig.service(), streaming=True)
    assert rig.requests() == 2
    assert rig.retries.codes() == [ErrorCode.NETWORK]


async def test_malformed_event_after_text_is_interrupted_with_partial_text(rig: Rig) -> None:
    rig.faults.malformed_chunk(
        after_chunks=rig.provider.events_before_text + 1, provider=rig.provider.id
    )
    received: list[object] = []
    error = await rig.stream_error(rig.service(), received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "malformed" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert rig.requests() == 1


async def test_stall_after_text_is_interrupted_by_the_idle_timeout(rig: Rig) -> None:
    service = rig.service(timeouts=IDLE_HALF_SECOND)
    rig.faults.stall(5, after_chunks=rig.provider.events_with_text, provider=rig.provider.id)
    received: list[object] = []
    started = time.monotonic()
    error = await rig.stream_error(service, received)
    assert time.monotonic() - started < 2.0
    # A timeout after the first token breaks the answer: the text so far is kept.
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "idle timeout" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert rig.requests() == 1
