"""The OpenAI fault tests' fixtures and helpers: support.faultkit's, for OpenAI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import ChatRequest, LiminalError
from liminal.managed import ManagedService
from liminal.provider.service import Timeouts
from support import faultkit
from support.faultkit import Retries, at_fault_server
from support.live import OPENAI

if TYPE_CHECKING:
    from support.faults import Faults

CHAT = OPENAI.chat_path
#: llmock's answer to "Say hello" streams as: "" (role only), "Simulated ", "answer ", ...
FIRST_TEXT_CHUNK = OPENAI.events_before_text


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


async def streamed(service: ManagedService, request: ChatRequest | None = None) -> list[object]:
    return await faultkit.streamed(service, request or ask())


async def answer(service: ManagedService, streaming: bool) -> object:
    """One answer, streamed (its events) or not (its ChatResult)."""
    return await streamed(service) if streaming else await service.complete(ask())


async def stream_error(
    service: ManagedService, received: list[object] | None = None
) -> LiminalError:
    """The error a stream raises; the events before it go to ``received``."""
    return await faultkit.stream_error(service, ask(), received)


def assert_complete_stream(events: list[object]) -> None:
    faultkit.assert_complete_stream(events, OPENAI.raw_stop)
