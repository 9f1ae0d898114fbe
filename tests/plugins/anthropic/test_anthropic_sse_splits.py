"""The stream means the same however the network cuts it: SSE under arbitrary chunk splits."""

from __future__ import annotations

import asyncio
import itertools

from anthropic_fakes import MockApi, TrackedStream, answer_events, ping, sse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal import ChatRequest, Message, Role

TEXTS = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    bounds = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]


async def events(parts: list[bytes]) -> list[object]:
    api = MockApi()
    api.stream(TrackedStream(parts))
    service = api.service()
    request = ChatRequest("claude-haiku-4-5", (Message(Role.USER, "hi"),))
    try:
        return [event async for event in service.stream(request)]
    finally:
        await service.aclose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=TEXTS, cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_split_of_the_bytes_gives_the_same_events(texts: list[str], cuts: list[int]) -> None:
    stream = answer_events(*texts)
    body = sse(stream[0], ping(), *stream[1:])
    whole = asyncio.run(events([body]))
    pieces = asyncio.run(events(split(body, cuts)))
    assert pieces == whole
    assert "".join(e.text for e in whole if hasattr(e, "text")) == "".join(texts)
