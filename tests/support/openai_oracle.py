"""The OpenAI service's stream as it was parsed through the SDK's own chunk objects: the
oracle of the differential test of the lean parser (``test_openai_lean_stream.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from liminal import ChatRequest, Finish, FinishReason, StreamEvent, TextDelta, Usage
from liminal.streaming import check_event_stream, ended_early, guard_malformed
from liminal_openai.params import chat_arguments
from liminal_openai.service import OpenAIService, map_finish_reason


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
