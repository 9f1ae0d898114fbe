"""The OpenAI fault tests' service builder, fixtures and stream helpers (the fault server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import (
    ChatRequest,
    Finish,
    FinishReason,
    LiminalError,
    Usage,
)
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from liminal_openai.service import OpenAIService
from support import faultkit
from support.faultkit import Retries, fast_factory, point_at, text_of

if TYPE_CHECKING:
    from support.faults import Faults

CHAT = "/v1/chat/completions"
#: llmock's answer to "Say hello" streams as: "" (role only), "Simulated ", "answer ", ...
FIRST_TEXT_CHUNK = 1


@pytest.fixture
def fault_env(faults: Faults, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Faults:
    point_at(
        monkeypatch,
        tmp_path,
        OPENAI_BASE_URL=faults.base_url,
        OPENAI_API_KEY="sk-fault-test-key-0001",
    )
    return faults


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
    """The core-wrapped OpenAI service on ``http`` with a fast retry policy."""
    managed = fast_factory(retries, timeouts=timeouts, **policy).for_provider("openai")
    assert isinstance(managed.service, OpenAIService)
    managed.service = OpenAIService(managed.service.context, http_client=http)
    return managed


@pytest.fixture
def openai(fault_env: Faults, retries: Retries, http: httpx2.AsyncClient) -> ManagedService:
    return build(retries, http)


def ask(model: str = "gpt-4o") -> ChatRequest:
    return faultkit.ask(model)


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


def assert_complete_stream(events: list[object]) -> None:
    assert text_of(events)
    assert isinstance(events[-1], Finish)
    assert events[-1].reason is FinishReason.STOP
    assert sum(isinstance(e, Finish) for e in events) == 1
    assert any(isinstance(e, Usage) for e in events)
