"""The Anthropic plugin under the core's retry layer, against the fault server (llmock + front).

Each test scripts faults on a real HTTP server (support/faults.py, ``provider="anthropic"``) and
checks what the caller sees: the error code, what was kept, how many requests reached the
server, how long it waited. The checks every provider must pass are in test_provider_faults.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import anthropic as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import ChatRequest, ErrorCode, Finish, FinishReason, LiminalError
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from support import faultkit
from support.faultkit import Retries, at_fault_server, text_of
from support.live import ANTHROPIC

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration


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
    assert faults.requests(ANTHROPIC.chat_path) == 2
    assert [seen.provider for seen in faults.seen()] == ["anthropic", "anthropic"]


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
    assert faults.requests(ANTHROPIC.chat_path) == 1  # never retried after the first token
    assert retries.notices == []


async def test_overloaded_event_before_text_is_retried(
    anthropic: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.overloaded_in_stream()
    assert await answer(anthropic, streaming=True)
    assert faults.requests(ANTHROPIC.chat_path) == 2
    assert retries.codes() == [ErrorCode.OVERLOADED]


# -- connections and broken streams ------------------------------------------------------------


@pytest.mark.parametrize("after_chunks", [ANTHROPIC.events_before_text, ANTHROPIC.events_with_text])
async def test_stream_truncated_before_message_stop_is_interrupted(
    anthropic: ManagedService, faults: Faults, retries: Retries, after_chunks: int
) -> None:
    faults.truncate_stream(after_chunks=after_chunks, provider="anthropic")
    received: list[object] = []
    error = await stream_error(anthropic, received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "message_stop" in error.message
    assert error.partial_text == text_of(received)
    assert bool(error.partial_text) is (after_chunks > ANTHROPIC.events_before_text)
    # A silent end is not retried, even before text.
    assert faults.requests(ANTHROPIC.chat_path) == 1
    assert retries.notices == []
