"""Every cloud provider under the core's retry layer against the fault server (llmock + front).

Each test runs once per provider (``target``): the checks whose outcome does not depend on the
protocol. What only one provider does is in openai_faults/ and test_anthropic_faults.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import anthropic as _anthropic  # noqa: F401  # imported now: no timed call pays for its first import
import httpx2
import openai as _openai  # noqa: F401
import pytest

from liminal import ChatRequest, ErrorCode, Finish, LiminalError
from liminal.managed import ManagedService
from support import faultkit
from support.faultkit import (
    IDLE_HALF_SECOND,
    Retries,
    assert_complete_stream,
    at_fault_server,
    build,
    stream_error,
    streamed,
    text_of,
)
from support.live import PROVIDERS, LiveProvider

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration


@pytest.fixture(params=PROVIDERS, ids=lambda provider: provider.id)
def target(
    request: pytest.FixtureRequest,
    faults: Faults,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> LiveProvider:
    """Each cloud provider in turn, pointed at the fault server."""
    provider: LiveProvider = request.param
    at_fault_server(provider, faults, monkeypatch, tmp_path)
    return provider


@pytest.fixture
def managed(target: LiveProvider, retries: Retries, http: httpx2.AsyncClient) -> ManagedService:
    return build(target.id, retries, http)


def ask(target: LiveProvider) -> ChatRequest:
    return faultkit.ask(target.model)


async def test_retry_after_above_the_cap_is_not_slept(
    target: LiveProvider, faults: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(target.id, retries, http, retry_after_cap=0.5)
    faults.rate_limit(30, provider=target.id)
    started = time.monotonic()
    with pytest.raises(LiminalError) as caught:
        await service.complete(ask(target))
    assert time.monotonic() - started < 2
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert "30 s" in caught.value.message
    assert faults.requests(target.chat_path) == 1


# -- connections and broken streams ------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_disconnect_before_headers_is_network_and_retried(
    target: LiveProvider,
    managed: ManagedService,
    faults: Faults,
    retries: Retries,
    streaming: bool,
) -> None:
    faults.disconnect_before_headers(provider=target.id)
    if streaming:
        assert_complete_stream(await streamed(managed, ask(target)), target.raw_stop)
    else:
        assert (await managed.complete(ask(target))).text
    assert faults.requests(target.chat_path) == 2
    assert retries.codes() == [ErrorCode.NETWORK]


async def test_disconnect_mid_stream_is_interrupted_with_partial_text(
    target: LiveProvider, managed: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.disconnect_mid_stream(after_chunks=target.events_with_text, provider=target.id)
    received: list[object] = []
    error = await stream_error(managed, ask(target), received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.exit_code == 5
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert not any(isinstance(e, Finish) for e in received)
    assert faults.requests(target.chat_path) == 1  # never retried after the first token
    assert retries.notices == []


async def test_disconnect_before_the_first_text_is_retried(
    target: LiveProvider, managed: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.disconnect_mid_stream(after_chunks=target.events_before_text, provider=target.id)
    assert_complete_stream(await streamed(managed, ask(target)), target.raw_stop)
    assert faults.requests(target.chat_path) == 2
    assert retries.codes() == [ErrorCode.NETWORK]


async def test_malformed_event_after_text_is_interrupted_with_partial_text(
    target: LiveProvider, managed: ManagedService, faults: Faults
) -> None:
    faults.malformed_chunk(after_chunks=target.events_before_text + 1, provider=target.id)
    received: list[object] = []
    error = await stream_error(managed, ask(target), received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "malformed" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert faults.requests(target.chat_path) == 1


async def test_stall_after_text_is_interrupted_by_the_idle_timeout(
    target: LiveProvider, faults: Faults, retries: Retries, http: httpx2.AsyncClient
) -> None:
    service = build(target.id, retries, http, timeouts=IDLE_HALF_SECOND)
    faults.stall(5, after_chunks=target.events_with_text, provider=target.id)
    received: list[object] = []
    started = time.monotonic()
    error = await stream_error(service, ask(target), received)
    assert time.monotonic() - started < 2.0
    # A timeout after the first token breaks the answer: the text so far is kept.
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "idle timeout" in error.message
    assert error.partial_text
    assert error.partial_text == text_of(received)
    assert faults.requests(target.chat_path) == 1
