"""AnthropicService streams: events, stop reasons, interruptions, closing."""

from __future__ import annotations

import pytest
from anthropic_service_helpers import (
    STOP_REASONS,
    events_of,
    request,
)

from liminal import (
    ChatRequest,
    ErrorCode,
    Finish,
    FinishReason,
    LiminalError,
    Message,
    Role,
    TextDelta,
    Usage,
)
from liminal_anthropic.service import map_stop_reason
from support.anthropic_fakes import (
    BASE_URL,
    MODEL,
    UNIT_KEY,
    MockApi,
    TrackedStream,
    answer_events,
    block_start,
    block_stop,
    drain,
    error_event,
    json_delta,
    message_delta,
    message_start,
    message_stop,
    ping,
    sse,
    text_delta,
    thinking_delta,
)

# -- map_stop_reason ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [*STOP_REASONS, (None, FinishReason.STOP), ("", FinishReason.STOP), ("new", FinishReason.STOP)],
)
def test_map_stop_reason(raw: str | None, reason: FinishReason) -> None:
    assert map_stop_reason(raw) is reason


# -- stream ---------------------------------------------------------------------------------


async def test_stream_yields_text_then_usage_with_cache_tokens_then_one_finish(
    api: MockApi,
) -> None:
    api.stream(
        sse(
            message_start(5, cache_read=30, cache_write=4),
            block_start(),
            ping(),
            text_delta("Hel"),
            text_delta("lo."),
            block_stop(),
            message_delta("end_turn", output_tokens=7),
            message_stop(),
        )
    )
    events = await events_of(api.service(), request())
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo."),
        Usage(39, 7),  # input counts the cached part the API reports apart
        Finish(FinishReason.STOP, "end_turn"),
    ]


@pytest.mark.parametrize(("raw", "reason"), STOP_REASONS)
async def test_stream_maps_every_stop_reason(api: MockApi, raw: str, reason: FinishReason) -> None:
    api.stream(sse(*answer_events("x", stop_reason=raw)))
    events = await events_of(api.service(), request())
    finishes = [e for e in events if isinstance(e, Finish)]
    assert finishes == [Finish(reason, raw)]
    assert events[-1] == finishes[0]


async def test_stream_request_body_and_key(api: MockApi) -> None:
    api.stream(sse(*answer_events("x")))
    req = ChatRequest(
        MODEL,
        (Message(Role.USER, "Hi"), Message(Role.ASSISTANT, "Hello"), Message(Role.USER, "Again")),
        system="Be brief.",
        parameters={"temperature": 0, "max_tokens": 5, "stop": "END"},
    )
    await events_of(api.service(), req)
    sent = api.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == f"{BASE_URL}/v1/messages"
    assert api.authorization() == f"Bearer {UNIT_KEY}"
    assert "x-api-key" not in sent.headers
    assert sent.headers["anthropic-version"]
    assert api.body() == {
        "model": MODEL,
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Again"},
        ],
        "max_tokens": 5,
        "temperature": 0,
        "stop_sequences": ["END"],
        "stream": True,
    }


async def test_stream_skips_thinking_and_tool_input_deltas(api: MockApi) -> None:
    api.stream(
        sse(
            message_start(),
            block_start(0, "thinking"),
            thinking_delta("Let me think."),
            block_stop(0),
            block_start(1),
            text_delta("", 1),
            text_delta("Answer", 1),
            block_stop(1),
            block_start(2, "tool_use"),
            json_delta('{"q": 1}', 2),
            block_stop(2),
            message_delta("tool_use", 12),
            message_stop(),
        )
    )
    events = await events_of(api.service(), request())
    assert events == [
        TextDelta("Answer"),
        Usage(9, 12),
        Finish(FinishReason.TOOL_CALLS, "tool_use"),
    ]


async def test_stream_takes_final_input_usage_from_message_delta(api: MockApi) -> None:
    api.stream(
        sse(
            message_start(5),
            block_start(),
            text_delta("Hi"),
            block_stop(),
            message_delta("end_turn", 4, input_tokens=6, cache_read_input_tokens=20),
            message_stop(),
        )
    )
    events = await events_of(api.service(), request())
    assert Usage(26, 4) in events


async def test_stream_without_message_start_still_finishes(api: MockApi) -> None:
    # llama-server omits message_start when the first token is part of a UTF-8 character.
    api.stream(
        sse(block_start(), text_delta("\U0001f469"), block_stop(), message_delta("max_tokens", 4))
        + sse(message_stop())
    )
    events = await events_of(api.service(), request())
    assert events == [
        TextDelta("\U0001f469"),
        Usage(0, 4),
        Finish(FinishReason.LENGTH, "max_tokens"),
    ]


async def test_stream_without_stop_reason_finishes_as_stop(api: MockApi) -> None:
    api.stream(sse(message_start(), message_delta(None, 0), message_stop()))
    events = await events_of(api.service(), request())
    assert events == [Usage(9, 0), Finish(FinishReason.STOP, None)]


async def test_stream_without_message_stop_is_interrupted_with_partial_text(
    api: MockApi,
) -> None:
    api.stream(sse(*answer_events("Hel", "lo")[:-1]))  # message_delta, but no message_stop
    with pytest.raises(LiminalError) as caught:
        await events_of(api.service(), request())
    assert caught.value.code is ErrorCode.STREAM_INTERRUPTED
    assert caught.value.partial_text == "Hello"
    assert caught.value.model == MODEL
    assert "message_stop" in caught.value.message


async def test_empty_stream_is_interrupted_with_no_text(api: MockApi) -> None:
    api.stream(b"")
    with pytest.raises(LiminalError) as caught:
        await events_of(api.service(), request())
    assert caught.value.code is ErrorCode.STREAM_INTERRUPTED
    assert caught.value.partial_text == ""


async def test_stream_with_malformed_json_is_a_server_error(api: MockApi) -> None:
    api.stream(sse(message_start(), block_start(), text_delta("Hel"), '{"type": "content_bl'))
    seen: list[object] = []
    with pytest.raises(LiminalError) as caught:
        await drain(api.service().stream(request()), seen)
    assert seen == [TextDelta("Hel")]
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert "malformed" in caught.value.message


async def test_stream_error_event_is_raised_as_the_sdk_error(api: MockApi) -> None:
    import anthropic

    api.stream(sse(message_start(), block_start(), text_delta("Hel"), error_event()))
    seen: list[object] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        await drain(api.service().stream(request()), seen)
    assert seen == [TextDelta("Hel")]
    assert caught.value.body == error_event()


async def test_stream_http_error_is_raised_as_the_sdk_error_without_retrying(
    api: MockApi,
) -> None:
    import anthropic

    api.error(500, "Internal server error", kind="api_error")
    with pytest.raises(anthropic.InternalServerError):
        await events_of(api.service(), request())
    assert len(api.requests) == 1  # max_retries=0: the core is the only retry layer


async def test_closing_the_stream_early_closes_the_response(api: MockApi) -> None:
    body = TrackedStream(
        [
            sse(message_start(), block_start(), text_delta("one ")),
            sse(text_delta("two ")),
            sse(block_stop(), message_delta(), message_stop()),
        ]
    )
    api.stream(body)
    stream = api.service().stream(request())
    first = await stream.__anext__()
    assert first == TextDelta("one ")
    await stream.aclose()  # type: ignore[attr-defined]
    assert body.closed
    assert body.sent < 3
