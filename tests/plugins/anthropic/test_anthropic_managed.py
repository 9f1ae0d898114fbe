"""The plugin inside the core's wrapper (ManagedService + AnthropicService on a fake API).

Retries, keys, the stream invariant and error mapping through the plugin's hook, as every
real call goes.
"""

from __future__ import annotations

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
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.retry import RetryPolicy
from support.anthropic_fakes import (
    BASE_URL,
    MODEL,
    UNIT_KEY,
    MockApi,
    TrackedStream,
    answer_events,
    block_start,
    drain,
    error_body,
    error_event,
    message,
    message_start,
    sse,
    text_delta,
)

GOOD_KEY = "sk-ant-good-key-000000000002"
BAD_KEY = "sk-ant-revoked-key-0000000001"
CREDIT_TOO_LOW = "Your credit balance is too low to access the Anthropic API."


def ask(model: str = MODEL, text: str = "Say hello") -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),))


async def collect(service: ManagedService, req: ChatRequest | None = None) -> list[object]:
    return [event async for event in service.stream(req or ask())]


async def collect_until_error(
    service: ManagedService, seen: list[object], req: ChatRequest | None = None
) -> LiminalError:
    with pytest.raises(LiminalError) as caught:
        await drain(service.stream(req or ask()), seen)
    return caught.value


class Sleeps(list[float]):
    """Records the waits between attempts instead of sleeping."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def two_keys(monkeypatch: pytest.MonkeyPatch) -> ApiKeyManager:
    """A pool: the explicit key is tried first, then ANTHROPIC_API_KEY."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", GOOD_KEY)
    return ApiKeyManager({"anthropic": Secret(BAD_KEY)})


# -- the stream invariant through the core ----------------------------------------------------


async def test_a_whole_answer_streams_text_usage_and_one_finish(api: MockApi) -> None:
    api.stream(sse(*answer_events("Hel", "lo", stop_reason="max_tokens", output_tokens=2)))
    events = await collect(api.managed())
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo"),
        Usage(9, 2),
        Finish(FinishReason.LENGTH, "max_tokens"),
    ]
    assert api.authorization() == f"Bearer {UNIT_KEY}"


async def test_stream_without_message_stop_is_interrupted_and_not_retried(
    api: MockApi, sleeps: Sleeps
) -> None:
    api.stream(sse(*answer_events("Hel", "lo")[:-1]))
    seen: list[object] = []
    error = await collect_until_error(api.managed(sleep=sleeps), seen)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == "Hello"
    assert error.model == MODEL
    assert error.exit_code == 5
    assert seen == [TextDelta("Hel"), TextDelta("lo")]
    assert len(api.requests) == 1
    assert sleeps == []


async def test_overloaded_event_after_text_is_overloaded_with_the_partial_text(
    api: MockApi, sleeps: Sleeps
) -> None:
    api.stream(sse(message_start(), block_start(), text_delta("Hel"), error_event()))
    api.stream(sse(*answer_events("never sent")))
    seen: list[object] = []
    error = await collect_until_error(api.managed(sleep=sleeps), seen)
    assert error.code is ErrorCode.OVERLOADED
    assert error.partial_text == "Hel"
    assert error.provider == "anthropic"
    assert error.model == MODEL
    assert seen == [TextDelta("Hel")]
    assert len(api.requests) == 1  # never retried after the first token
    assert sleeps == []


async def test_overloaded_event_before_any_text_is_retried(api: MockApi, sleeps: Sleeps) -> None:
    api.stream(sse(message_start(), error_event()))
    api.stream(sse(*answer_events("Hi")))
    events = await collect(api.managed(sleep=sleeps))
    assert events[0] == TextDelta("Hi")
    assert events[-1] == Finish(FinishReason.STOP, "end_turn")
    assert len(api.requests) == 2
    assert len(sleeps) == 1


async def test_connection_drop_mid_stream_is_interrupted_with_the_partial_text(
    api: MockApi, sleeps: Sleeps
) -> None:
    drop = httpx2.RemoteProtocolError("peer closed connection without sending complete message")
    api.stream(TrackedStream([sse(message_start(), block_start(), text_delta("Hel"))], fail=drop))
    api.stream(sse(*answer_events("never sent")))
    seen: list[object] = []
    error = await collect_until_error(api.managed(sleep=sleeps), seen)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == "Hel"
    assert error.__cause__ is drop  # the SDK lets the raw httpx2 error through
    assert seen == [TextDelta("Hel")]
    assert len(api.requests) == 1
    assert sleeps == []


async def test_read_timeout_mid_stream_is_interrupted(api: MockApi) -> None:
    stall = httpx2.ReadTimeout("no data")
    api.stream(TrackedStream([sse(message_start(), block_start(), text_delta("Hel"))], fail=stall))
    error = await collect_until_error(api.managed(), [])
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == "Hel"
    assert len(api.requests) == 1


async def test_connection_drop_before_any_text_is_retried(api: MockApi, sleeps: Sleeps) -> None:
    drop = httpx2.RemoteProtocolError("peer closed connection")
    api.stream(TrackedStream([sse(message_start(), block_start())], fail=drop))
    api.stream(sse(*answer_events("Hi")))
    events = await collect(api.managed(sleep=sleeps))
    assert events[0] == TextDelta("Hi")
    assert len(api.requests) == 2
    assert len(sleeps) == 1


# -- HTTP errors and retries ------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_rate_limit_waits_for_retry_after_then_succeeds(
    api: MockApi, sleeps: Sleeps, streaming: bool
) -> None:
    api.error(429, "Rate limited", kind="rate_limit_error", headers={"retry-after": "2"})
    service = api.managed(sleep=sleeps)
    if streaming:
        api.stream(sse(*answer_events("Hi")))
        events = await collect(service)
        assert events[-1] == Finish(FinishReason.STOP, "end_turn")
    else:
        api.json(message("Hi"))
        assert (await service.complete(ask())).text == "Hi"
    assert sleeps == [2.0]  # as given: no jitter on Retry-After
    assert len(api.requests) == 2


async def test_rate_limit_above_the_cap_is_not_slept(api: MockApi, sleeps: Sleeps) -> None:
    api.error(429, "Rate limited", kind="rate_limit_error", headers={"retry-after": "300"})
    with pytest.raises(LiminalError) as caught:
        await api.managed(sleep=sleeps).complete(ask())
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert caught.value.retry_after == 300.0
    assert "300 s" in caught.value.message
    assert sleeps == []
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [(529, "overloaded_error", ErrorCode.OVERLOADED), (500, "api_error", ErrorCode.SERVER_ERROR)],
)
async def test_server_trouble_is_retried_then_given_up(
    api: MockApi, sleeps: Sleeps, status: int, kind: str, code: ErrorCode
) -> None:
    api.error(status, "trouble", kind=kind)
    policy = RetryPolicy(max_attempts=3, base=0.001, cap=0.01)
    with pytest.raises(LiminalError) as caught:
        await collect(api.managed(sleep=sleeps, policy=policy))
    assert caught.value.code is code
    assert "gave up after 3 attempts" in caught.value.message
    assert len(api.requests) == 3
    assert len(sleeps) == 2


async def test_overloaded_529_is_retried_then_succeeds(api: MockApi, sleeps: Sleeps) -> None:
    api.error(529, "Overloaded", kind="overloaded_error")
    api.stream(sse(*answer_events("Hi")))
    events = await collect(api.managed(sleep=sleeps))
    assert events[0] == TextDelta("Hi")
    assert len(api.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, error_body("max_tokens: too large", kind="invalid_request_error"), "INVALID_REQUEST"),
        (
            400,
            error_body(
                "prompt is too long: 210000 tokens > 200000 maximum", kind="invalid_request_error"
            ),
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (403, error_body("not allowed", kind="permission_error"), "PERMISSION_DENIED"),
        (404, error_body("model: claude-x", kind="not_found_error"), "MODEL_NOT_FOUND"),
        (413, error_body("Request too large", kind="request_too_large"), "INVALID_REQUEST"),
    ],
)
async def test_request_errors_are_not_retried(
    api: MockApi, sleeps: Sleeps, status: int, body: dict[str, object], code: str
) -> None:
    api.json(body, status=status, headers={"request-id": "req_unit"})
    with pytest.raises(LiminalError) as caught:
        await collect(api.managed(sleep=sleeps))
    error = caught.value
    assert error.code is ErrorCode(code)
    assert (error.status, error.request_id, error.model) == (status, "req_unit", MODEL)
    assert len(api.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx2.ConnectError("connection refused"), ErrorCode.NETWORK),
        (httpx2.ReadTimeout("no answer"), ErrorCode.TIMEOUT),
    ],
    ids=["connect-error", "timeout"],
)
async def test_transport_failures_before_the_answer_are_retried(
    api: MockApi, sleeps: Sleeps, answer: Exception, code: ErrorCode
) -> None:
    api.reply(answer)
    api.json(message("Hi"))
    notices: list[ErrorCode] = []
    service = api.managed(sleep=sleeps, on_retry=lambda notice: notices.append(notice.code))
    assert (await service.complete(ask())).text == "Hi"
    assert notices == [code]
    assert len(api.requests) == 2


async def test_transport_failures_every_time_end_in_their_code(api: MockApi) -> None:
    api.reply(httpx2.ConnectError("connection refused"))
    with pytest.raises(LiminalError) as caught:
        await api.managed(policy=RetryPolicy(max_attempts=2, base=0.001)).complete(ask())
    assert caught.value.code is ErrorCode.NETWORK
    assert "api.anthropic.com" in caught.value.message
    assert len(api.requests) == 2


# -- keys ---------------------------------------------------------------------------------


async def test_a_rejected_key_is_skipped_for_the_next_in_the_pool(
    api: MockApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = two_keys(monkeypatch)
    api.error(401, "invalid x-api-key", kind="authentication_error")
    api.stream(sse(*answer_events("Hi")))
    service = api.managed(keys=keys)
    events = await collect(service)
    assert events[-1] == Finish(FinishReason.STOP, "end_turn")
    assert [api.authorization(i) for i in range(2)] == [f"Bearer {BAD_KEY}", f"Bearer {GOOD_KEY}"]
    await collect(service)  # the rejected key is not tried again
    assert api.authorization() == f"Bearer {GOOD_KEY}"
    assert len(api.requests) == 3


async def test_the_only_key_rejected_is_auth_invalid_without_the_key(api: MockApi) -> None:
    keys = ApiKeyManager({"anthropic": Secret(BAD_KEY)})
    api.error(401, f"invalid x-api-key {BAD_KEY}", kind="authentication_error")
    with pytest.raises(LiminalError) as caught:
        await api.managed(keys=keys).complete(ask())
    error = caught.value
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.exit_code == 3
    assert BAD_KEY not in str(error)
    assert BAD_KEY not in repr(error)
    assert BAD_KEY not in (error.hint or "")
    assert len(api.requests) == 1


async def test_out_of_credit_moves_to_the_next_key(
    api: MockApi, sleeps: Sleeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = two_keys(monkeypatch)
    api.error(400, CREDIT_TOO_LOW, kind="invalid_request_error")
    api.json(message("Hi"))
    result = await api.managed(keys=keys, sleep=sleeps).complete(ask())
    assert result.text == "Hi"
    assert api.authorization() == f"Bearer {GOOD_KEY}"
    assert sleeps == []


async def test_out_of_credit_with_one_key_is_quota_exhausted(api: MockApi) -> None:
    api.error(400, CREDIT_TOO_LOW, kind="invalid_request_error")
    with pytest.raises(LiminalError) as caught:
        await api.managed().complete(ask())
    assert caught.value.code is ErrorCode.QUOTA_EXHAUSTED
    assert caught.value.exit_code == 4
    assert len(api.requests) == 1


async def test_a_key_changed_between_requests_is_used_without_rebuilding(api: MockApi) -> None:
    keys = ApiKeyManager({"anthropic": Secret(UNIT_KEY)})
    api.json(message("Hi"))
    service = api.managed(keys=keys)
    await service.complete(ask())
    keys.set_explicit("anthropic", Secret(GOOD_KEY))
    await service.complete(ask())
    assert [api.authorization(i) for i in range(2)] == [f"Bearer {UNIT_KEY}", f"Bearer {GOOD_KEY}"]
    assert all("x-api-key" not in r.headers for r in api.requests)


async def test_no_key_at_all_sends_nothing(api: MockApi) -> None:
    with pytest.raises(LiminalError) as caught:
        await collect(api.managed(keys=ApiKeyManager()))
    assert caught.value.code is ErrorCode.NO_KEY
    assert "ANTHROPIC_API_KEY" in (caught.value.hint or "")
    assert api.requests == []


async def test_the_base_url_comes_from_anthropic_base_url(
    api: MockApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", BASE_URL)
    api.json(message("Hi"))
    await api.managed().complete(ask())
    assert str(api.requests[0].url) == f"{BASE_URL}/v1/messages"


# -- validate_key and list_remote_models through the core ----------------------------------------


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (httpx2.Response(200, json={"data": [], "has_more": False}), KeyStatus.VALID),
        (
            httpx2.Response(401, json=error_body("bad", kind="authentication_error")),
            KeyStatus.INVALID,
        ),
        (httpx2.Response(403, json=error_body("no", kind="permission_error")), KeyStatus.INVALID),
        (httpx2.Response(529, json=error_body("busy", kind="overloaded_error")), KeyStatus.UNKNOWN),
        (httpx2.ConnectError("refused"), KeyStatus.UNKNOWN),
    ],
    ids=["200", "401", "403", "529", "connect-error"],
)
async def test_validate_key(
    api: MockApi, answer: httpx2.Response | Exception, status: KeyStatus
) -> None:
    api.reply(answer)
    assert await api.managed().validate_key(Secret(GOOD_KEY)) is status
    assert api.authorization() == f"Bearer {GOOD_KEY}"
    assert api.requests[0].url.path == "/v1/models"


async def test_list_remote_models_uses_the_pool_key(api: MockApi) -> None:
    api.json({"data": [{"id": "claude-sonnet-5-5", "type": "model"}], "has_more": False})
    assert await api.managed().list_remote_models() == ["claude-sonnet-5-5"]
    assert api.authorization() == f"Bearer {UNIT_KEY}"
