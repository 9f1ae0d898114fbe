"""Every provider's lean stream parser against its SDK's own objects: for any stream, framed and
cut any way, ``service.stream`` yields exactly what the SDK-object path (the oracle in
support/<provider>_oracle.py, with the provider's streams) yields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal import ChatRequest, Message, Role, StreamEvent
from support import anthropic_oracle, openai_oracle
from support.fakeapi import TrackedStream
from support.fakes import PROVIDERS
from support.ssewire import CUTS, describe, split

ORACLES = {"openai": openai_oracle, "anthropic": anthropic_oracle}
pytestmark = pytest.mark.parametrize("provider", ORACLES)

Stream = Callable[[Any, ChatRequest], AsyncIterator[StreamEvent]]


async def _lean(service: Any, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    async for event in service.stream(request):
        yield event


async def outcome(provider: str, stream: Stream, parts: list[bytes]) -> tuple[Any, ...]:
    """The events, the failure (or None) and whether the response was closed."""
    api = PROVIDERS[provider].api()
    tracked = TrackedStream(parts)
    api.stream(tracked)
    service = api.service()
    request = ChatRequest(PROVIDERS[provider].model, (Message(Role.USER, "hi"),))
    events: list[object] = []
    failure: object = None
    try:
        async for event in stream(service, request):
            events.append(event)
    except Exception as exc:
        failure = describe(exc)
    finally:
        # What each provider's own module closed: the fake's clients, or the service's.
        await (service.aclose() if provider == "anthropic" else api.aclose())
    return events, failure, tracked.closed


def same_as_the_sdk(provider: str, data: bytes, cuts: list[int]) -> None:
    expected = asyncio.run(outcome(provider, ORACLES[provider].sdk_stream, [data]))
    assert asyncio.run(outcome(provider, _lean, split(data, cuts))) == expected
    assert asyncio.run(outcome(provider, _lean, [data])) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.data(), cuts=CUTS)
def test_any_stream_cut_anywhere_gives_what_the_sdk_gives(
    provider: str, drawn: st.DataObject, cuts: list[int]
) -> None:
    same_as_the_sdk(provider, drawn.draw(ORACLES[provider].streams()), cuts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.data(), cuts=CUTS)
def test_a_broken_stream_fails_as_through_the_sdk(
    provider: str, drawn: st.DataObject, cuts: list[int]
) -> None:
    same_as_the_sdk(provider, drawn.draw(ORACLES[provider].streams(broken=True)), cuts)
