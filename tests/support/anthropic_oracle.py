"""The Anthropic service's stream as it was parsed through the SDK's own event objects: the
oracle of the differential test of the lean parser (plugins/test_lean_streams.py), and
the streams, framed and cut any way, it is compared on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hypothesis import strategies as st

from liminal import ChatRequest, Finish, StreamEvent, TextDelta, Usage
from liminal.provider.streaming import check_event_stream, ended_early, guard_malformed
from liminal_anthropic.params import message_arguments
from liminal_anthropic.service import AnthropicService, _input_tokens, map_stop_reason
from support.anthropic_fakes import (
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
from support.ssewire import BROKEN, NEWLINES, TEXT, body, frame


async def sdk_stream(service: AnthropicService, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    """What ``service.stream(request)`` yields, read through the SDK's ``AsyncStream``."""
    context = service.context
    model = context.model_info(request.model)
    client = await service._keyed(model.id)
    stream = await client.messages.create(**message_arguments(model, request), stream=True)
    provider = context.provider.id
    input_tokens = output_tokens = 0
    stop_reason: str | None = None
    stopped = False
    received: list[str] = []
    try:
        check_event_stream(
            stream.response.headers,
            provider=provider,
            base_url_var=context.provider.base_url_env_var,
        )
        async for event in guard_malformed(stream, provider=provider):
            kind = event.type
            if kind == "content_block_delta":
                text = getattr(event.delta, "text", None)
                if text:
                    received.append(text)
                    yield TextDelta(text)
            elif kind == "message_start":
                input_tokens = _input_tokens(event.message.usage)
            elif kind == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                input_tokens = _input_tokens(event.usage) or input_tokens
                output_tokens = event.usage.output_tokens or output_tokens
            elif kind == "message_stop":
                stopped = True
                break
    finally:
        await stream.close()
    if not stopped:
        raise ended_early(provider, model.id, received, "message_stop")
    yield Usage(input_tokens, output_tokens)
    yield Finish(map_stop_reason(stop_reason), stop_reason)


# -- the streams to compare on --------------------------------------------------------------


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
