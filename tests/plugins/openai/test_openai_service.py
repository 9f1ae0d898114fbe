"""``OpenAIService`` over the real SDK and a fake transport (liminal_openai/service.py)."""

from __future__ import annotations

import attrs
import httpx2
import pytest

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
from liminal.provider.service import Timeouts
from liminal_openai.service import OpenAIService, map_finish_reason
from support.openai_fakes import (
    BASE_URL,
    COMPAT_URL,
    UNIT_KEY,
    MockApi,
    TrackedStream,
    chunk,
    completion,
    error_body,
    sse,
    usage_chunk,
)


def request(model: str = "gpt-4o", text: str = "Say hello", **parameters: object) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=dict(parameters))  # type: ignore[arg-type]


async def events_of(service: OpenAIService, req: ChatRequest) -> list[object]:
    return [event async for event in service.stream(req)]


# -- map_finish_reason ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("stop", FinishReason.STOP),
        ("length", FinishReason.LENGTH),
        ("content_filter", FinishReason.CONTENT_FILTER),
        ("tool_calls", FinishReason.TOOL_CALLS),
        ("function_call", FinishReason.TOOL_CALLS),
        (None, FinishReason.STOP),
        ("", FinishReason.STOP),
        ("something_new", FinishReason.STOP),
    ],
)
def test_map_finish_reason(raw: str | None, reason: FinishReason) -> None:
    assert map_finish_reason(raw) is reason


# -- stream ---------------------------------------------------------------------------------


async def test_stream_yields_text_usage_and_one_finish(api: MockApi) -> None:
    api.stream(
        sse(
            chunk("", role="assistant"),
            chunk("Hel"),
            chunk("lo."),
            chunk(finish="stop"),
            usage_chunk(7, 3),
        )
    )
    events = await events_of(api.service(), request())
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo."),
        Usage(7, 3),
        Finish(FinishReason.STOP, "stop"),
    ]


async def test_stream_request_asks_for_usage_and_sends_the_key(api: MockApi) -> None:
    api.stream(sse(chunk("x"), chunk(finish="length")))
    req = ChatRequest(
        "gpt-4o",
        (Message(Role.USER, "Hi"), Message(Role.ASSISTANT, "Hello"), Message(Role.USER, "Again")),
        system="Be brief.",
        parameters={"temperature": 0, "seed": 7, "max_tokens": 5},
    )
    events = await events_of(api.service(), req)
    assert events[-1] == Finish(FinishReason.LENGTH, "length")
    sent = api.requests[0]
    assert sent.method == "POST"
    assert str(sent.url) == f"{BASE_URL}/chat/completions"
    assert api.authorization() == f"Bearer {UNIT_KEY}"
    body = api.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-4o"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Again"},
    ]
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0, 7, 5)


async def test_stream_sends_max_completion_tokens_for_reasoning_models(api: MockApi) -> None:
    api.stream(sse(chunk("x"), chunk(finish="stop")))
    await events_of(api.service(), request("o3", max_tokens=9, reasoning_effort="low"))
    body = api.body()
    assert body["max_completion_tokens"] == 9
    assert "max_tokens" not in body
    assert body["reasoning_effort"] == "low"


async def test_stream_passes_refusals_through_as_text(api: MockApi) -> None:
    api.stream(sse(chunk(refusal="I can't help with that."), chunk(finish="stop")))
    events = await events_of(api.service(), request())
    assert events[0] == TextDelta("I can't help with that.")
    # The API ends a refusal with finish_reason "stop"; Liminal says it was a refusal.
    assert events[-1] == Finish(FinishReason.REFUSAL, "stop")


async def test_stream_skips_empty_and_missing_deltas(api: MockApi) -> None:
    api.stream(sse(chunk(delta=False), chunk(""), chunk("ok"), chunk(finish="content_filter")))
    events = await events_of(api.service(), request())
    assert events == [TextDelta("ok"), Finish(FinishReason.CONTENT_FILTER, "content_filter")]


async def test_stream_usage_with_missing_counts_is_zero(api: MockApi) -> None:
    usage = usage_chunk()
    usage["usage"] = {"prompt_tokens": None, "completion_tokens": None, "total_tokens": 0}
    api.stream(sse(chunk("a"), chunk(finish="stop"), usage))
    events = await events_of(api.service(), request())
    assert Usage(0, 0) in events


async def test_stream_without_finish_reason_is_interrupted_with_partial_text(
    api: MockApi,
) -> None:
    api.stream(sse(chunk("Hel"), chunk("lo")))  # [DONE] but no finish_reason
    with pytest.raises(LiminalError) as caught:
        await events_of(api.service(), request())
    assert caught.value.code is ErrorCode.STREAM_INTERRUPTED
    assert caught.value.partial_text == "Hello"
    assert caught.value.model == "gpt-4o"


async def test_stream_cut_without_done_or_finish_is_interrupted(api: MockApi) -> None:
    api.stream(sse(chunk("Hel"), done=False))
    with pytest.raises(LiminalError) as caught:
        await events_of(api.service(), request())
    assert caught.value.code is ErrorCode.STREAM_INTERRUPTED
    assert caught.value.partial_text == "Hel"


async def test_stream_with_malformed_json_is_a_server_error(api: MockApi) -> None:
    api.stream(sse(chunk("Hel"), '{"id": "chatcmpl-unit", "choi', chunk(finish="stop")))
    seen: list[object] = []

    async def consume() -> None:
        async for event in api.service().stream(request()):
            seen.append(event)

    with pytest.raises(LiminalError) as caught:
        await consume()
    assert seen == [TextDelta("Hel")]
    assert caught.value.code is ErrorCode.SERVER_ERROR
    assert "malformed" in caught.value.message
    assert caught.value.__cause__ is not None


async def test_stream_error_event_is_raised_as_the_sdk_error(api: MockApi) -> None:
    import openai

    api.stream(sse(chunk("Hel"), error_body("boom", kind="server_error")))
    with pytest.raises(openai.APIError) as caught:
        await events_of(api.service(), request())
    assert caught.value.message == "boom"


async def test_stream_http_error_is_raised_as_the_sdk_error_without_retrying(
    api: MockApi,
) -> None:
    import openai

    api.json(error_body("down", kind="server_error"), status=500)
    with pytest.raises(openai.InternalServerError):
        await events_of(api.service(), request())
    assert len(api.requests) == 1  # max_retries=0: the core is the only retry layer


async def test_closing_the_stream_early_closes_the_response(api: MockApi) -> None:
    body = TrackedStream(
        [sse(chunk("one "), done=False), sse(chunk("two "), done=False), sse(chunk(finish="stop"))]
    )
    api.stream(body)
    stream = api.service().stream(request())
    first = await stream.__anext__()
    assert first == TextDelta("one ")
    await stream.aclose()
    assert body.closed
    assert body.sent < 3


# -- complete -------------------------------------------------------------------------------


async def test_complete_returns_text_finish_usage_and_request_id(api: MockApi) -> None:
    api.json(completion("Hello there.", finish="length"), headers={"x-request-id": "req_123"})
    result = await api.service().complete(request(max_tokens=2))
    assert result.text == "Hello there."
    assert result.finish_reason is FinishReason.LENGTH
    assert result.raw_finish_reason == "length"
    assert result.usage == Usage(11, 2)
    assert result.model == "gpt-4o"
    assert result.request_id == "req_123"
    body = api.body()
    assert "stream" not in body
    assert body["max_tokens"] == 2


async def test_complete_resolves_aliases_to_the_model_id(api: MockApi) -> None:
    api.json(completion())
    result = await api.service().complete(request("4o"))
    assert api.body()["model"] == "gpt-4o"
    assert result.model == "gpt-4o"


async def test_complete_refusal_and_missing_usage(api: MockApi) -> None:
    api.json(completion(None, refusal="No.", usage=False))
    result = await api.service().complete(request())
    assert result.text == "No."
    assert result.finish_reason is FinishReason.REFUSAL
    assert result.usage is None


async def test_complete_with_neither_content_nor_refusal_is_empty(api: MockApi) -> None:
    api.json(completion(None))
    assert (await api.service().complete(request())).text == ""


async def test_complete_without_choices_is_a_server_error(api: MockApi) -> None:
    api.json(completion(choices=False))
    with pytest.raises(LiminalError) as caught:
        await api.service().complete(request())
    assert caught.value.code is ErrorCode.SERVER_ERROR


# -- clients, base URLs and keys ------------------------------------------------------------


async def test_one_cached_client_per_base_url_and_key(api: MockApi) -> None:
    service = api.service()
    assert service.client(BASE_URL) is not service.client(COMPAT_URL)
    assert service.client(BASE_URL, api_key="sk-other-key-123") is not service.client(BASE_URL)


async def test_a_compatible_model_is_sent_to_its_own_server(api: MockApi) -> None:
    api.json(completion())
    await api.service().complete(request("local-llm"))
    assert str(api.requests[0].url) == f"{COMPAT_URL}/chat/completions"
    assert api.body()["model"] == "local-llm"


# -- validate_key ---------------------------------------------------------------------------


async def test_validate_key_valid_uses_the_given_key_on_models(api: MockApi) -> None:
    api.json({"object": "list", "data": []})
    status = await api.service().validate_key(Secret("sk-candidate-key-9999"))
    assert status is KeyStatus.VALID
    assert str(api.requests[0].url) == f"{BASE_URL}/models"
    assert api.authorization() == "Bearer sk-candidate-key-9999"


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "invalid_request_error"), (403, "permission_error")]
)
async def test_validate_key_invalid(api: MockApi, status: int, kind: str) -> None:
    api.json(error_body("Incorrect API key provided", kind=kind), status=status)
    assert await api.service().validate_key(Secret("sk-bad-key-0000")) is KeyStatus.INVALID


@pytest.mark.parametrize(
    "answer",
    [
        httpx2.Response(500, json=error_body("oops", kind="server_error")),
        httpx2.Response(429, json=error_body("slow down", kind="rate_limit_error")),
        httpx2.ConnectError("connection refused"),
        httpx2.ReadTimeout("too slow"),
    ],
    ids=["500", "429", "connect-error", "timeout"],
)
async def test_validate_key_unknown_when_the_answer_says_nothing_about_the_key(
    api: MockApi, answer: httpx2.Response | Exception
) -> None:
    api.reply(answer)
    assert await api.service().validate_key(Secret("sk-some-key-1234")) is KeyStatus.UNKNOWN


async def test_validate_key_with_its_own_client_closes_it() -> None:
    from liminal.provider.registry import ModelRegistry, ProviderRegistry
    from liminal.provider.service import ServiceContext
    from liminal_openai.plugin import PROVIDER

    providers = ProviderRegistry()
    providers.add(PROVIDER)
    context = ServiceContext(
        provider=PROVIDER,
        timeouts=Timeouts(connect=1.0, idle=1.0),
        model_info=ModelRegistry(providers).resolve,
        base_url="http://127.0.0.1:9/v1",  # discard port: nothing listens, connection refused
    )
    service = OpenAIService(context)
    assert await service.validate_key(Secret("sk-network-down-01")) is KeyStatus.UNKNOWN


# -- list_remote_models ---------------------------------------------------------------------


async def test_list_remote_models(api: MockApi) -> None:
    api.json(
        {
            "object": "list",
            "data": [
                {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"},
                {"id": "ft:gpt-4o:acme", "object": "model", "created": 2, "owned_by": "acme"},
            ],
        }
    )
    assert await api.service().list_remote_models() == ["gpt-4o", "ft:gpt-4o:acme"]
    assert str(api.requests[0].url) == f"{BASE_URL}/models"
    assert api.authorization() == f"Bearer {UNIT_KEY}"


async def test_list_remote_models_raises_the_sdk_error(api: MockApi) -> None:
    import openai

    api.json(error_body("bad key", kind="invalid_request_error"), status=401)
    with pytest.raises(openai.AuthenticationError):
        await api.service().list_remote_models()


async def test_complete_waits_for_the_whole_answer_not_just_the_idle_limit(api: MockApi) -> None:
    # Without streaming, nothing arrives until the answer is done: the read limit is the total.
    api.json(completion())
    service = api.service(timeouts=Timeouts(connect=3.0, idle=0.5, total=9.0))
    await service.complete(request())
    assert api.requests[0].extensions["timeout"]["read"] == 9.0
    api.json(completion())
    await service.complete(attrs.evolve(request(), timeout=42.0))
    assert api.requests[1].extensions["timeout"]["read"] == 42.0
    assert api.requests[1].extensions["timeout"]["connect"] == 3.0
