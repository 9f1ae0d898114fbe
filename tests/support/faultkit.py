"""What the fault tests of every provider share: a fast retry policy, the retry log, the ask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest

from liminal import ErrorCode, Finish, FinishReason, LiminalError, TextDelta
from liminal.config import Config
from liminal.factory import LlmServiceFactory
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.provider.service import Timeouts
from liminal.retry import RetryNotice, RetryPolicy
from support import live

if TYPE_CHECKING:
    from liminal import ChatRequest
    from support.faults import Faults
    from support.live import LiveProvider

#: Attempts per call in the fault tests (the policy is fast: milliseconds between them).
MAX_ATTEMPTS = 3
#: The output budget of every question the fault tests ask.
MAX_TOKENS = 50
#: Limits under which a stream that falls silent for half a second times out.
IDLE_HALF_SECOND = Timeouts(connect=2.0, idle=0.5, total=30.0)


class Retries:
    """The retry notices a factory reported, in order."""

    def __init__(self) -> None:
        self.notices: list[RetryNotice] = []

    def __call__(self, notice: RetryNotice) -> None:
        self.notices.append(notice)

    def codes(self) -> list[ErrorCode]:
        return [notice.code for notice in self.notices]


def point_at(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> None:
    """``env`` set, an empty LIMINAL_HOME, and every installed plugin loaded."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIMINAL_HOME", str(home))
    for var in ("LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)


def fast_factory(
    retries: Retries, *, timeouts: Timeouts | None = None, **policy: Any
) -> LlmServiceFactory:
    """A factory with a fast retry policy (``policy`` overrides it) reporting to ``retries``."""
    settings: dict[str, Any] = {
        "max_attempts": MAX_ATTEMPTS,
        "base": 0.01,
        "cap": 0.05,
        "deadline": 20.0,
        "retry_after_cap": 10.0,
    }
    settings.update(policy)
    return LlmServiceFactory(
        plugins=Plugins(),
        policy=RetryPolicy(**settings),
        timeouts=timeouts or Timeouts(connect=2.0, idle=5.0, total=30.0),
        on_retry=retries,
        config=Config(),
    )


def ask(model: str) -> ChatRequest:
    return live.ask(model, "Say hello", max_tokens=MAX_TOKENS)


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def at_fault_server(
    provider: LiveProvider, faults: Faults, monkeypatch: pytest.MonkeyPatch, home: Path
) -> Faults:
    """``point_at`` for ``provider``: its base URL the fault server's, a key of its shape."""
    point_at(
        monkeypatch,
        home,
        **{provider.base_url_env: provider.base_url(faults), provider.key_env: provider.fault_key},
    )
    return faults


def build(
    provider_id: str,
    retries: Retries,
    http: httpx2.AsyncClient | None = None,
    *,
    timeouts: Timeouts | None = None,
    **policy: Any,
) -> ManagedService:
    """The core-wrapped service of ``provider_id`` from ``fast_factory``; its SDK on ``http``
    when given (then no socket outlives the test's client)."""
    managed = fast_factory(retries, timeouts=timeouts, **policy).for_provider(provider_id)
    if http is not None:
        service = managed.service
        managed.service = type(service)(service.context, http_client=http)  # type: ignore[call-arg]
    return managed


async def streamed(service: ManagedService, request: ChatRequest) -> list[object]:
    return [event async for event in service.stream(request)]


async def stream_error(
    service: ManagedService, request: ChatRequest, received: list[object] | None = None
) -> LiminalError:
    """The error a stream raises; the events before it go to ``received``."""
    events = received if received is not None else []
    try:
        async for event in service.stream(request):
            events.append(event)
    except LiminalError as error:
        return error
    raise AssertionError(f"the stream did not fail: {events}")


def assert_complete_stream(events: list[object], raw_stop: str) -> None:
    """The stream invariant (text, usage, one Finish), ended by STOP: the provider's
    ``raw_stop``."""
    finish, _ = live.check_stream(events, MAX_TOKENS)
    assert finish == Finish(FinishReason.STOP, raw_stop)
