"""``AnthropicService`` over the real SDK and a fake transport (liminal_anthropic/service.py)."""

from __future__ import annotations

import asyncio

import httpx2
import pytest
from anthropic_fakes import (
    BASE_URL,
    MODEL,
    PROXY_URL,
    UNIT_KEY,
    MockApi,
    TrackedStream,
    answer_events,
    block_start,
    block_stop,
    drain,
    error_body,
    error_event,
    json_delta,
    message,
    message_delta,
    message_start,
    message_stop,
    ping,
    sse,
    text_delta,
    thinking_delta,
)

from liminal import (
    ChatRequest,
    ErrorCode,
    Finish,
    FinishReason,
    KeyStatus,
    LiminalError,
    Message,
    Role,
    Secret,
    TextDelta,
    Usage,
)
from liminal.service import Timeouts
from liminal_anthropic.service import AnthropicService, map_stop_reason

STOP_REASONS = [
    ("end_turn", FinishReason.STOP),
    ("stop_sequence", FinishReason.STOP),
    ("pause_turn", FinishReason.STOP),
    ("max_tokens", FinishReason.LENGTH),
    ("refusal", FinishReason.REFUSAL),
    ("model_context_window_exceeded", FinishReason.CONTEXT_WINDOW),
    ("tool_use", FinishReason.TOOL_CALLS),
]


def request(model: str = MODEL, text: str = "Say hello", **parameters: object) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=dict(parameters))  # type: ignore[arg-type]


async def events_of(service: AnthropicService, req: ChatRequest) -> list[object]:
    return [event async for event in service.stream(req)]


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


async def test_cancelling_the_consumer_closes_the_response(api: MockApi) -> None:
    release = asyncio.Event()
    closed = asyncio.Event()

    class SlowStream(TrackedStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield sse(message_start(), block_start(), text_delta("first "))
            await release.wait()
            yield sse(block_stop(), message_delta(), message_stop())

        async def aclose(self) -> None:
            closed.set()

    api.stream(SlowStream([]))
    service = api.service()
    got_first = asyncio.Event()

    async def consume() -> None:
        async for event in service.stream(request()):
            if isinstance(event, TextDelta):
                got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed.is_set()


# -- complete -------------------------------------------------------------------------------


async def test_complete_returns_text_finish_usage_and_request_id(api: MockApi) -> None:
    api.json(
        message(
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            "Hello ",
            "there.",
            stop_reason="max_tokens",
            input_tokens=4,
            output_tokens=2,
            cache_read=20,
            cache_write=3,
        ),
        headers={"request-id": "req_123"},
    )
    result = await api.service().complete(request(max_tokens=2))
    assert result.text == "Hello there."
    assert result.finish_reason is FinishReason.LENGTH
    assert result.raw_finish_reason == "max_tokens"
    assert result.usage == Usage(27, 2)
    assert result.model == MODEL
    assert result.request_id == "req_123"
    body = api.body()
    assert "stream" not in body
    assert body["max_tokens"] == 2


@pytest.mark.parametrize(("raw", "reason"), STOP_REASONS)
async def test_complete_maps_every_stop_reason(
    api: MockApi, raw: str, reason: FinishReason
) -> None:
    api.json(message("x", stop_reason=raw))
    result = await api.service().complete(request())
    assert (result.finish_reason, result.raw_finish_reason) == (reason, raw)


async def test_complete_resolves_aliases_to_the_model_id(api: MockApi) -> None:
    api.json(message("Hi"))
    result = await api.service().complete(request("claude-sonnet"))
    assert api.body()["model"] == "claude-sonnet-5-5"
    assert result.model == "claude-sonnet-5-5"


async def test_complete_with_only_a_tool_call_is_empty_text(api: MockApi) -> None:
    tool = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": 1}}
    api.json(message(tool, stop_reason="tool_use"))
    result = await api.service().complete(request())
    assert result.text == ""
    assert result.finish_reason is FinishReason.TOOL_CALLS


# -- clients, base URLs and keys ------------------------------------------------------------


async def test_one_cached_client_per_base_url(api: MockApi) -> None:
    service = api.service()
    assert service.client(BASE_URL) is service.client(BASE_URL)
    assert service.client(BASE_URL) is not service.client(PROXY_URL)


async def test_client_has_no_sdk_retries_and_the_configured_timeouts(api: MockApi) -> None:
    service = api.service(timeouts=Timeouts(connect=3.0, idle=0.5, total=9.0))
    client = service.client(BASE_URL)
    assert client.max_retries == 0
    timeout = client.timeout
    assert isinstance(timeout, httpx2.Timeout)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (3.0, 0.5, 0.5, 3.0)


async def test_the_key_is_read_per_request_from_the_core(api: MockApi) -> None:
    from liminal.service import _current_key

    api.json(message("Hi"))
    service = api.service()
    token = _current_key.set(Secret("sk-ant-pool-key-two-0002"))
    try:
        await service.complete(request())
    finally:
        _current_key.reset(token)
    await service.complete(request())
    assert api.authorization(0) == "Bearer sk-ant-pool-key-two-0002"
    assert api.authorization(1) == f"Bearer {UNIT_KEY}"


async def test_without_any_key_nothing_is_sent(api: MockApi) -> None:
    api.json(message("Hi"))
    with pytest.raises(LiminalError) as caught:
        await api.service(key=None).complete(request())
    assert caught.value.code is ErrorCode.NO_KEY
    assert api.requests == []


async def test_a_model_on_its_own_server_is_sent_there(api: MockApi) -> None:
    api.json(message("Hi"))
    await api.service().complete(request("claude-proxied"))
    assert str(api.requests[0].url) == f"{PROXY_URL}/v1/messages"
    assert api.body()["model"] == "claude-proxied"


async def test_no_base_url_means_the_sdk_default(api: MockApi) -> None:
    api.json(message("Hi"))
    await api.service(base_url=None).complete(request())
    assert api.requests[0].url.host == "api.anthropic.com"


# -- validate_key ---------------------------------------------------------------------------


async def test_validate_key_valid_uses_the_given_key_on_models(api: MockApi) -> None:
    api.json({"data": [], "has_more": False, "first_id": None, "last_id": None})
    status = await api.service().validate_key(Secret("sk-ant-candidate-key-9999"))
    assert status is KeyStatus.VALID
    assert str(api.requests[0].url).startswith(f"{BASE_URL}/v1/models")
    assert api.authorization() == "Bearer sk-ant-candidate-key-9999"


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "authentication_error"), (403, "permission_error")]
)
async def test_validate_key_invalid(api: MockApi, status: int, kind: str) -> None:
    api.error(status, "invalid x-api-key", kind=kind)
    assert await api.service().validate_key(Secret("sk-ant-bad-key-0000")) is KeyStatus.INVALID


@pytest.mark.parametrize(
    "answer",
    [
        httpx2.Response(500, json=error_body("oops", kind="api_error")),
        httpx2.Response(529, json=error_body("Overloaded", kind="overloaded_error")),
        httpx2.Response(429, json=error_body("slow down", kind="rate_limit_error")),
        httpx2.ConnectError("connection refused"),
        httpx2.ReadTimeout("too slow"),
    ],
    ids=["500", "529", "429", "connect-error", "timeout"],
)
async def test_validate_key_unknown_when_the_answer_says_nothing_about_the_key(
    api: MockApi, answer: httpx2.Response | Exception
) -> None:
    api.reply(answer)
    assert await api.service().validate_key(Secret("sk-ant-some-key-1234")) is KeyStatus.UNKNOWN


async def test_validate_key_without_a_fake_server_is_unknown() -> None:
    from liminal.service import ServiceContext
    from liminal_anthropic.plugin import PROVIDER

    context = ServiceContext(
        provider=PROVIDER,
        timeouts=Timeouts(connect=1.0, idle=1.0),
        model_info=lambda model_id: pytest.fail("no model is resolved"),
        base_url="http://127.0.0.1:9",  # discard port: nothing listens, connection refused
    )
    service = AnthropicService(context)
    assert await service.validate_key(Secret("sk-ant-network-down-01")) is KeyStatus.UNKNOWN


# -- list_remote_models ---------------------------------------------------------------------


def models_page(*ids: str, has_more: bool = False) -> dict[str, object]:
    data = [
        {
            "id": model_id,
            "type": "model",
            "display_name": model_id,
            "created_at": "2026-01-01T00:00:00Z",
        }
        for model_id in ids
    ]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }


async def test_list_remote_models_follows_every_page(api: MockApi) -> None:
    api.json(models_page("claude-opus-5-5", "claude-sonnet-5-5", has_more=True))
    api.json(models_page("claude-haiku-4-5-20251001"))
    ids = await api.service().list_remote_models()
    assert ids == ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-4-5-20251001"]
    assert len(api.requests) == 2
    assert api.requests[0].url.path == "/v1/models"
    assert api.requests[1].url.params["after_id"] == "claude-sonnet-5-5"
    assert api.authorization() == f"Bearer {UNIT_KEY}"


async def test_list_remote_models_raises_the_sdk_error(api: MockApi) -> None:
    import anthropic

    api.error(401, "invalid x-api-key", kind="authentication_error")
    with pytest.raises(anthropic.AuthenticationError):
        await api.service().list_remote_models()


async def test_a_web_page_instead_of_the_api_is_a_server_error(api: MockApi) -> None:
    # A wrong ANTHROPIC_BASE_URL typically lands on an HTML page that answers 200.
    page = httpx2.Response(200, headers={"content-type": "text/html"}, content=b"<html></html>")
    api.reply(page)
    with pytest.raises(LiminalError) as streamed:
        await events_of(api.service(), request())
    assert streamed.value.code is ErrorCode.SERVER_ERROR
    assert "text/html instead of an event stream" in streamed.value.message
    with pytest.raises(LiminalError) as whole:
        await api.service().complete(request())
    assert whole.value.code is ErrorCode.SERVER_ERROR
    assert "not JSON" in whole.value.message
