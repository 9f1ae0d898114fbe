"""The OpenAI service's stream as it was parsed through the SDK's own chunk objects: the
oracle of the differential test of the lean parser (plugins/test_lean_streams.py), and
the streams, framed and cut any way, it is compared on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hypothesis import strategies as st

from liminal import ChatRequest, Finish, FinishReason, StreamEvent, TextDelta, Usage
from liminal.provider.streaming import check_event_stream, ended_early, guard_malformed
from liminal_openai.params import chat_arguments
from liminal_openai.service import OpenAIService, map_finish_reason
from support.openai_fakes import chunk, usage_chunk
from support.ssewire import BROKEN, NEWLINES, TEXT, body, frame


async def sdk_stream(service: OpenAIService, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    """What ``service.stream(request)`` yields, read through the SDK's ``AsyncStream``."""
    context = service.context
    model = context.model_info(request.model)
    client = service.client(context.base_url_for(model.id))
    stream = await client.chat.completions.create(
        **chat_arguments(model, request), stream=True, stream_options={"include_usage": True}
    )
    finish: str | None = None
    refused = False
    received: list[str] = []
    try:
        check_event_stream(
            stream.response.headers,
            provider=context.provider.id,
            base_url_var=context.provider.base_url_env_var,
        )
        async for chunk in guard_malformed(stream, provider=context.provider.id):
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                yield Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0)
            for choice in chunk.choices:
                delta = choice.delta
                text = (delta.content or delta.refusal or "") if delta is not None else ""
                refused = refused or bool(delta is not None and delta.refusal)
                if text:
                    received.append(text)
                    yield TextDelta(text)
                if choice.finish_reason:
                    finish = choice.finish_reason
    finally:
        await stream.close()
    if finish is None:
        raise ended_early(context.provider.id, model.id, received, "a finish reason")
    yield Finish(FinishReason.REFUSAL if refused else map_finish_reason(finish), finish)


# -- the streams to compare on --------------------------------------------------------------


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
