"""The Anthropic service's stream as it was parsed through the SDK's own event objects: the
oracle of the differential test of the lean parser (``test_anthropic_lean_stream.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from liminal import ChatRequest, Finish, StreamEvent, TextDelta, Usage
from liminal.streaming import check_event_stream, ended_early, guard_malformed
from liminal_anthropic.params import message_arguments
from liminal_anthropic.service import AnthropicService, _input_tokens, map_stop_reason


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
