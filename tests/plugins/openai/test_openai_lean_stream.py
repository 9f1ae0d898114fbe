"""The lean stream parser against the SDK's chunk objects: for any stream, framed and cut any
way, ``OpenAIService.stream`` yields exactly what the SDK-object path (the oracle) yields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal import ChatRequest, Message, Role, StreamEvent
from liminal_openai.service import OpenAIService
from support.openai_fakes import MockApi, TrackedStream, chunk, usage_chunk
from support.openai_oracle import sdk_stream
from support.ssewire import BROKEN, CUTS, NEWLINES, TEXT, body, describe, frame, split

FINISH_REASONS = st.sampled_from(
    ["stop", "length", "content_filter", "tool_calls", "function_call", "something_new"]
)

#: One chunk's JSON, as OpenAI and compatible servers send them.
CHUNKS = st.one_of(
    TEXT.map(chunk),
    TEXT.map(lambda text: chunk(refusal=text)),
    st.just(chunk(role="assistant", content="")),
    st.just(chunk(delta=False)),
    st.just(chunk()),
    FINISH_REASONS.map(lambda reason: chunk(finish=reason)),
    st.builds(usage_chunk, st.integers(0, 9), st.integers(0, 9)),
)

#: An error object inside the 200 stream.
ERRORS = st.builds(
    lambda message, kind: {"error": {"message": message, "type": kind, "code": None}},
    st.sampled_from(["", "The server had an error", "Rate limit reached"]),
    st.sampled_from(["server_error", "rate_limit_exceeded", "invalid_request_error"]),
)


@st.composite
def streams(draw: st.DrawFn, *, broken: bool = False) -> bytes:
    payloads: list[Any] = draw(st.lists(CHUNKS, max_size=8))
    if draw(st.booleans()):
        payloads.append(chunk(finish=draw(FINISH_REASONS)))
    if draw(st.booleans()):
        payloads.append(usage_chunk(3, len(payloads)))
    if draw(st.integers(0, 5)) == 0:
        payloads.insert(draw(st.integers(0, len(payloads))), draw(ERRORS))
    if draw(st.integers(0, 3)) > 0:
        payloads.append("[DONE]")
        if draw(st.booleans()):
            payloads.append(chunk("after the end"))
    events: list[list[str] | bytes] = []
    for payload in payloads:
        name = draw(st.sampled_from([None, None, "message"]))
        events.append(draw(frame(name, payload)))
    if broken:
        events.insert(draw(st.integers(0, len(events))), draw(BROKEN))
    return body(events, draw(NEWLINES), trailing_blank=draw(st.integers(0, 5)) > 0)


Stream = Callable[[OpenAIService, ChatRequest], AsyncIterator[StreamEvent]]


async def _lean(service: OpenAIService, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    async for event in service.stream(request):
        yield event


async def outcome(stream: Stream, parts: list[bytes]) -> tuple[list[object], object, bool]:
    """The events, the failure (or None) and whether the response was closed."""
    api = MockApi()
    tracked = TrackedStream(parts)
    api.stream(tracked)
    service = api.service()
    request = ChatRequest("gpt-4o", (Message(Role.USER, "hi"),))
    events: list[object] = []
    failure: object = None
    try:
        async for event in stream(service, request):
            events.append(event)
    except Exception as exc:
        failure = describe(exc)
    finally:
        await api.aclose()
    return events, failure, tracked.closed


def same_as_the_sdk(data: bytes, cuts: list[int]) -> None:
    parts = split(data, cuts)
    expected = asyncio.run(outcome(sdk_stream, [data]))
    assert asyncio.run(outcome(_lean, parts)) == expected
    assert asyncio.run(outcome(_lean, [data])) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(), cuts=CUTS)
def test_any_stream_cut_anywhere_gives_what_the_sdk_gives(data: bytes, cuts: list[int]) -> None:
    same_as_the_sdk(data, cuts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(broken=True), cuts=CUTS)
def test_a_broken_stream_fails_as_through_the_sdk(data: bytes, cuts: list[int]) -> None:
    same_as_the_sdk(data, cuts)
