"""The lean stream parser against the SDK's event objects: for any stream, framed and cut any
way, ``AnthropicService.stream`` yields exactly what the SDK-object path (the oracle) yields."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal import ChatRequest, Message, Role, StreamEvent
from liminal_anthropic.service import AnthropicService
from support.anthropic_fakes import (
    MockApi,
    TrackedStream,
    block_start,
    block_stop,
    error_event,
    json_delta,
    message_delta,
    message_start,
    message_stop,
    ping,
    text_delta,
    thinking_delta,
)
from support.anthropic_oracle import sdk_stream
from support.ssewire import BROKEN, CUTS, NEWLINES, TEXT, body, describe, frame, split

STOP_REASONS = st.sampled_from(
    [
        "end_turn",
        "stop_sequence",
        "max_tokens",
        "tool_use",
        "refusal",
        "pause_turn",
        "model_context_window_exceeded",
        "something_new",
        None,
    ]
)
TOKENS = st.integers(0, 99)

#: Events between ``message_start`` and ``message_delta``.
BLOCK_EVENTS = st.one_of(
    TEXT.map(text_delta),
    TEXT.map(thinking_delta),
    TEXT.map(json_delta),
    st.just(ping()),
    st.sampled_from(["text", "thinking", "tool_use"]).map(lambda kind: block_start(0, kind)),
    st.just(block_stop()),
)

#: An error event inside the 200 stream.
ERRORS = st.builds(
    error_event,
    st.sampled_from(["overloaded_error", "api_error", "rate_limit_error"]),
    st.sampled_from(["Overloaded", "Internal server error", ""]),
)


@st.composite
def usage(draw: st.DrawFn) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        if draw(st.booleans()):
            counts[name] = draw(TOKENS)
    return counts


@st.composite
def streams(draw: st.DrawFn, *, broken: bool = False) -> bytes:
    start = message_start(
        draw(TOKENS), cache_read=draw(TOKENS), cache_write=draw(st.sampled_from([0, 5]))
    )
    payloads: list[Any] = [start, *draw(st.lists(BLOCK_EVENTS, max_size=8))]
    payloads.append(message_delta(draw(STOP_REASONS), draw(TOKENS), **draw(usage())))
    if draw(st.booleans()):
        payloads.append(message_delta(None, draw(TOKENS)))
    payloads.append(message_stop())
    payloads.append(text_delta("after the end"))
    payloads = payloads[: draw(st.integers(0, len(payloads)))]  # maybe cut short
    if draw(st.integers(0, 5)) == 0:
        payloads.insert(draw(st.integers(0, len(payloads))), draw(ERRORS))
    events: list[list[str] | bytes] = []
    for payload in payloads:
        name = payload["type"] if draw(st.integers(0, 9)) else None  # unnamed: skipped
        events.append(draw(frame(name, payload)))
    if broken:
        garbage = draw(BROKEN).replace(b"data:", b"event: content_block_delta\ndata:")
        events.insert(draw(st.integers(0, len(events))), garbage)
    return body(events, draw(NEWLINES), trailing_blank=draw(st.integers(0, 5)) > 0)


Stream = Callable[[AnthropicService, ChatRequest], AsyncIterator[StreamEvent]]


async def _lean(service: AnthropicService, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    async for event in service.stream(request):
        yield event


async def outcome(stream: Stream, parts: list[bytes]) -> tuple[list[object], object, bool]:
    """The events, the failure (or None) and whether the response was closed."""
    api = MockApi()
    tracked = TrackedStream(parts)
    api.stream(tracked)
    service = api.service()
    request = ChatRequest("claude-haiku-4-5", (Message(Role.USER, "hi"),))
    events: list[object] = []
    failure: object = None
    try:
        async for event in stream(service, request):
            events.append(event)
    except Exception as exc:
        failure = describe(exc)
    finally:
        await service.aclose()
    return events, failure, tracked.closed


def same_as_the_sdk(data: bytes, cuts: list[int]) -> None:
    expected = asyncio.run(outcome(sdk_stream, [data]))
    assert asyncio.run(outcome(_lean, split(data, cuts))) == expected
    assert asyncio.run(outcome(_lean, [data])) == expected


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(), cuts=CUTS)
def test_any_stream_cut_anywhere_gives_what_the_sdk_gives(data: bytes, cuts: list[int]) -> None:
    same_as_the_sdk(data, cuts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=streams(broken=True), cuts=CUTS)
def test_a_broken_stream_fails_as_through_the_sdk(data: bytes, cuts: list[int]) -> None:
    same_as_the_sdk(data, cuts)
