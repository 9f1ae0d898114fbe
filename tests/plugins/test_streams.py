"""What every provider's stream does with the response under it, against its fake API."""

from __future__ import annotations

import asyncio

import pytest

from liminal import ChatRequest, Message, Role
from support.fakeapi import FakeApi, TrackedStream
from support.fakes import PROVIDERS
from support.streams import cancel_after_first_text

pytestmark = pytest.mark.parametrize("provider", PROVIDERS)


async def test_cancelling_the_consumer_closes_the_response(api: FakeApi, provider: str) -> None:
    wire = PROVIDERS[provider]
    release = asyncio.Event()
    closed = asyncio.Event()

    class SlowStream(TrackedStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield wire.opening("first ")
            await release.wait()
            yield wire.ending()

        async def aclose(self) -> None:
            closed.set()

    api.stream(SlowStream([]))
    service = api.service()
    request = ChatRequest(wire.model, (Message(Role.USER, "Say hello"),))
    assert await cancel_after_first_text(service.stream(request), within=5) == ["first "]
    assert closed.is_set()
