"""Every provider's stream means the same however the network cuts it: SSE under arbitrary
chunk splits."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal import ChatRequest, Message, Role
from support.fakeapi import TrackedStream
from support.fakes import PROVIDERS
from support.ssewire import split

TEXTS = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8)


async def events(provider: str, parts: list[bytes]) -> list[object]:
    api = PROVIDERS[provider].api()
    try:
        api.stream(TrackedStream(parts))
        service = api.service()
        request = ChatRequest(PROVIDERS[provider].model, (Message(Role.USER, "hi"),))
        return [event async for event in service.stream(request)]
    finally:
        await api.aclose()


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=TEXTS, cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_split_of_the_bytes_gives_the_same_events(
    provider: str, texts: list[str], cuts: list[int]
) -> None:
    body = PROVIDERS[provider].answer(texts)
    whole = asyncio.run(events(provider, [body]))
    pieces = asyncio.run(events(provider, split(body, cuts)))
    assert pieces == whole
    assert "".join(e.text for e in whole if hasattr(e, "text")) == "".join(texts)
