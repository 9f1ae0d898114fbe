"""ManagedService: the stream invariant, retries, keys and timeouts around a scripted provider.

The provider here is a fake ``LlmService`` whose every call follows a script: a list of
attempts, each a list of actions (events to yield, exceptions to raise, stalls to sleep).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from liminal.client import ManagedService
from liminal.errors import ErrorCode, LiminalError
from liminal.keys import ApiKeyManager, Secret
from liminal.mapping import error_from_exception
from liminal.registry import ModelRegistry, ProviderRegistry
from liminal.retry import RetryNotice, RetryPolicy
from liminal.service import ServiceContext, Timeouts, current_key
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    KeyStatus,
    Message,
    ModelInfo,
    ProviderInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)

KEYLESS = ProviderInfo(
    id="fake",
    display_name="Fake",
    service="tests:FakeService",
    key_env_var="FAKE_API_KEY",
    requires_key=False,
)
KEYED = attrs.evolve(KEYLESS, requires_key=True)
MODEL = ModelInfo(
    id="fake-1",
    provider="fake",
    display_name="Fake One",
    context_window=8000,
    max_output_tokens=1000,
    aliases=("f1",),
    parameters=("temperature", "max_tokens"),
)
EXPLICIT_KEY = "tk-test-explicit-key-0001"
ENV_KEY = "tk-test-environment-key-0002"

# -- the scripted provider -------------------------------------------------------------------


@attrs.frozen
class Stall:
    seconds: float


class FakeAPIStatusError(Exception):
    """Shaped like an SDK's status error: status_code, body, response.headers."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(f"Error code: {status}")
        self.status_code = status
        self.body = body
        self.response = type("Response", (), {"status_code": status, "headers": headers or {}})()


@attrs.frozen
class Raise:
    """Raise a fresh exception each time the action runs."""

    make: Callable[[], BaseException]


def http(status: int, headers: dict[str, str] | None = None, **body: Any) -> Raise:
    return Raise(lambda: FakeAPIStatusError(status, {"error": body} if body else None, headers))


def rejects(key: str) -> Callable[[Secret | None], Raise | None]:
    """A key check: 401 for ``key``."""
    return lambda seen: http(401, type="authentication_error") if seen == Secret(key) else None


OK = [TextDelta("Hello"), TextDelta(", world"), Usage(3, 2), Finish(FinishReason.STOP, "stop")]


class FakeService:
    def __init__(
        self,
        *attempts: list[Any],
        provider: ProviderInfo = KEYLESS,
        key_check: Callable[[Secret | None], Raise | None] | None = None,
        result: ChatResult | None = None,
    ) -> None:
        self.attempts = list(attempts) or [OK]
        self.key_check = key_check
        self.result = result or ChatResult(
            text="done", finish_reason=FinishReason.STOP, model=MODEL.id
        )
        self.calls = 0
        self.closed = 0
        self.keys_seen: list[Secret | None] = []
        self.api_keys_seen: list[str] = []
        registry = ProviderRegistry()
        registry.add(provider)
        self.context = ServiceContext(
            provider=provider, timeouts=Timeouts(), model_info=lambda _: MODEL
        )

    def _attempt(self) -> list[Any]:
        self.calls += 1
        return self.attempts[min(self.calls, len(self.attempts)) - 1]

    async def _observe_key(self) -> None:
        seen = current_key()
        self.keys_seen.append(seen)
        self.api_keys_seen.append(await self.context.api_key())
        if self.key_check is not None:
            rejection = self.key_check(seen)
            if rejection is not None:
                raise rejection.make()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        actions = self._attempt()
        try:
            await self._observe_key()
            for action in actions:
                if isinstance(action, Raise):
                    raise action.make()
                if isinstance(action, Stall):
                    await asyncio.sleep(action.seconds)
                    continue
                yield action
        finally:
            self.closed += 1

    async def complete(self, request: ChatRequest) -> ChatResult:
        actions = self._attempt()
        await self._observe_key()
        for action in actions:
            if isinstance(action, Raise):
                raise action.make()
            if isinstance(action, Stall):
                await asyncio.sleep(action.seconds)
        return self.result

    async def validate_key(self, key: Secret) -> KeyStatus:
        for action in self._attempt():
            if isinstance(action, Raise):
                raise action.make()
        return KeyStatus.VALID

    async def list_remote_models(self) -> list[str]:
        for action in self._attempt():
            if isinstance(action, Raise):
                raise action.make()
        return ["fake-1", "fake-2"]


# -- the service under test -------------------------------------------------------------------


@attrs.define
class Harness:
    managed: ManagedService
    service: FakeService
    sleeps: list[float]
    notices: list[RetryNotice]
    keys: ApiKeyManager


def harness(
    service: FakeService,
    *,
    provider: ProviderInfo = KEYLESS,
    policy: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    keys: ApiKeyManager | None = None,
) -> Harness:
    providers = ProviderRegistry()
    providers.add(provider)
    models = ModelRegistry(providers)
    models.add(MODEL)
    sleeps: list[float] = []
    notices: list[RetryNotice] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    keys = keys or ApiKeyManager()
    managed = ManagedService(
        provider=provider,
        service=service,
        resolve=models.resolve,
        map_error=lambda pid, exc: error_from_exception(exc, provider=pid),
        keys=keys,
        policy=policy or RetryPolicy(max_attempts=3),
        timeouts=timeouts,
        on_retry=notices.append,
        sleep=fake_sleep,
    )
    return Harness(managed, service, sleeps, notices, keys)


def request(**changes: Any) -> ChatRequest:
    fields: dict[str, Any] = {"model": "fake-1", "messages": (Message(Role.USER, "hi"),)}
    fields.update(changes)
    return ChatRequest(**fields)


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def failure(stream: AsyncIterator[StreamEvent], into: list[StreamEvent]) -> LiminalError:
    with pytest.raises(LiminalError) as caught:  # noqa: PT012 - the error ends the iteration
        async for event in stream:
            into.append(event)
    return caught.value


def assert_invariant(events: list[StreamEvent]) -> None:
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1, events
    assert isinstance(events[-1], Finish), events


# -- the stream invariant ---------------------------------------------------------------------


async def test_events_pass_through() -> None:
    h = harness(FakeService([*OK]))
    events = await collect(h.managed.stream(request()))
    assert events == OK
    assert h.service.calls == 1
    assert h.sleeps == []


async def test_alias_resolves_to_the_model() -> None:
    h = harness(FakeService([*OK]))
    assert await collect(h.managed.stream(request(model="f1"))) == OK


async def test_finish_before_usage_is_moved_last() -> None:
    h = harness(FakeService([TextDelta("a"), Finish(FinishReason.STOP), Usage(5, 1)]))
    events = await collect(h.managed.stream(request()))
    assert events == [TextDelta("a"), Usage(5, 1), Finish(FinishReason.STOP)]
    assert_invariant(events)


async def test_second_finish_is_dropped() -> None:
    script = [
        TextDelta("a"),
        Finish(FinishReason.STOP, "stop"),
        Usage(1, 1),
        Finish(FinishReason.LENGTH, "length"),
    ]
    h = harness(FakeService(script))
    events = await collect(h.managed.stream(request()))
    assert_invariant(events)
    assert events[-1] == Finish(FinishReason.STOP, "stop")


async def test_text_after_finish_and_empty_text_are_dropped() -> None:
    script = [TextDelta(""), TextDelta("a"), Finish(FinishReason.STOP), TextDelta("late")]
    h = harness(FakeService(script))
    events = await collect(h.managed.stream(request()))
    assert events == [TextDelta("a"), Finish(FinishReason.STOP)]


async def test_missing_finish_is_stream_interrupted_with_partial_text() -> None:
    h = harness(FakeService([TextDelta("Hel"), TextDelta("lo"), Usage(1, 2)]))
    received: list[StreamEvent] = []
    error = await failure(h.managed.stream(request()), received)
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == "Hello"
    assert received == [TextDelta("Hel"), TextDelta("lo"), Usage(1, 2)]
    assert not any(isinstance(e, Finish) for e in received)
    assert h.service.calls == 1
    assert error.provider == "fake"
    assert error.model == "fake-1"
    assert error.exit_code == 5


async def test_silent_empty_stream_is_stream_interrupted() -> None:
    h = harness(FakeService([]))
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert error.partial_text == ""


@pytest.mark.parametrize(
    ("failing", "code"),
    [
        (
            Raise(lambda: ConnectionResetError(104, "Connection reset by peer")),
            ErrorCode.STREAM_INTERRUPTED,
        ),
        (http(500, type="server_error", message="boom"), ErrorCode.STREAM_INTERRUPTED),
        (Raise(lambda: RuntimeError("decoder broke")), ErrorCode.STREAM_INTERRUPTED),
        # a provider verdict sent inside the stream keeps its code; the text is still kept
        (
            Raise(
                lambda: FakeAPIStatusError(
                    529,
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    },
                )
            ),
            ErrorCode.OVERLOADED,
        ),
    ],
)
async def test_error_after_first_token_is_not_retried_and_keeps_partial_text(
    failing: Raise, code: ErrorCode
) -> None:
    h = harness(FakeService([TextDelta("Hel"), failing], [*OK]))
    received: list[StreamEvent] = []
    error = await failure(h.managed.stream(request()), received)
    assert error.code is code
    assert error.partial_text == "Hel"
    assert received == [TextDelta("Hel")]
    assert h.service.calls == 1
    assert h.sleeps == []
    assert h.notices == []
    assert error.__cause__ is not None
    assert h.service.closed == 1


async def test_interrupted_error_keeps_the_provider_exception_as_cause() -> None:
    reset = ConnectionResetError(104, "Connection reset by peer")
    h = harness(FakeService([TextDelta("Hel"), Raise(lambda: reset)]))
    error = await failure(h.managed.stream(request()), [])
    assert error.__cause__ is reset
    assert "after 3 characters" in error.message


# -- retries before the first token -------------------------------------------------------------


async def test_error_before_first_token_is_retried_per_policy() -> None:
    policy = RetryPolicy(max_attempts=4, base=0.5, cap=20.0)
    h = harness(
        FakeService([http(500)], [http(502)], [Raise(lambda: ConnectionRefusedError())], [*OK]),
        policy=policy,
    )
    events = await collect(h.managed.stream(request()))
    assert events == OK
    assert h.service.calls == 4
    assert len(h.sleeps) == 3
    for n, delay in enumerate(h.sleeps):
        assert 0.0 <= delay <= min(policy.cap, policy.base * 2**n)
    assert [n.attempt for n in h.notices] == [2, 3, 4]
    assert [n.code for n in h.notices] == [
        ErrorCode.SERVER_ERROR,
        ErrorCode.SERVER_ERROR,
        ErrorCode.NETWORK,
    ]
    assert [n.delay for n in h.notices] == h.sleeps
    assert h.service.closed == 4


async def test_gives_up_after_max_attempts() -> None:
    h = harness(FakeService([http(503)]), policy=RetryPolicy(max_attempts=3))
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.OVERLOADED
    assert h.service.calls == 3
    assert len(h.sleeps) == 2
    assert "gave up after 3 attempts" in error.message


@pytest.mark.parametrize(
    "failing",
    [
        http(400, type="invalid_request_error", message="bad"),
        http(404, type="not_found_error", message="no such model"),
        http(400, code="context_length_exceeded", message="too long"),
        http(403),
    ],
)
async def test_non_retryable_errors_are_raised_at_once(failing: Raise) -> None:
    h = harness(FakeService([failing], [*OK]))
    error = await failure(h.managed.stream(request()), [])
    assert not error.retryable
    assert h.service.calls == 1
    assert h.sleeps == []


async def test_429_retry_after_is_honoured_exactly() -> None:
    h = harness(FakeService([http(429, {"retry-after-ms": "1234"})], [*OK]))
    events = await collect(h.managed.stream(request()))
    assert events == OK
    assert h.sleeps == [1.234]
    assert h.service.calls == 2


async def test_persistent_429_ends_rate_limited_after_max_attempts() -> None:
    h = harness(
        FakeService([http(429, {"retry-after": "0.25"})]), policy=RetryPolicy(max_attempts=3)
    )
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.RATE_LIMITED
    assert h.service.calls == 3
    assert h.sleeps == [0.25, 0.25]
    assert error.exit_code == 4


async def test_retry_after_above_the_cap_is_not_slept() -> None:
    h = harness(
        FakeService([http(429, {"retry-after": "120"})], [*OK]),
        policy=RetryPolicy(max_attempts=3, retry_after_cap=60.0),
    )
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.RATE_LIMITED
    assert h.service.calls == 1
    assert h.sleeps == []
    assert "120 s" in error.message


async def test_retry_that_would_pass_the_deadline_is_refused() -> None:
    h = harness(
        FakeService([http(429, {"retry-after": "5"})], [*OK]),
        policy=RetryPolicy(max_attempts=3, deadline=1.0),
    )
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.RATE_LIMITED
    assert h.service.calls == 1
    assert h.sleeps == []


# -- keys -----------------------------------------------------------------------------------------


def two_keys(monkeypatch: pytest.MonkeyPatch) -> ApiKeyManager:
    monkeypatch.setenv("FAKE_API_KEY", ENV_KEY)
    return ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})


async def test_key_reaches_the_service_during_the_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    h = harness(FakeService([*OK], provider=KEYED), provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert h.service.keys_seen == [Secret(EXPLICIT_KEY)]
    assert h.service.api_keys_seen == [EXPLICIT_KEY]
    assert current_key() is None  # outside the attempt


async def test_complete_supplies_the_key_too(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = two_keys(monkeypatch)
    h = harness(FakeService([], provider=KEYED), provider=KEYED, keys=keys)
    result = await h.managed.complete(request())
    assert result.text == "done"
    assert h.service.api_keys_seen == [EXPLICIT_KEY]
    assert current_key() is None


async def test_auth_invalid_moves_to_the_next_key_and_marks_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([*OK], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    first = h.managed.key_candidates(MODEL)[0]
    assert first.secret == Secret(EXPLICIT_KEY)

    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert service.api_keys_seen == [EXPLICIT_KEY, ENV_KEY]
    assert keys.is_invalid(first)
    assert h.sleeps == []
    # the next request starts with the good key
    assert [e.secret for e in h.managed.key_candidates(MODEL)] == [Secret(ENV_KEY)]


async def test_auth_invalid_with_the_last_key_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})
    service = FakeService([*OK], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.exit_code == 3
    assert service.calls == 1
    assert EXPLICIT_KEY not in str(error)


async def test_rate_limited_key_hands_over_to_the_next_without_sleeping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([http(429, {"retry-after": "30"})], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert h.sleeps == []
    first = keys.all_entries("fake", ["FAKE_API_KEY"])[0]
    assert 0 < keys.cooling_for(first) <= 30


async def test_quota_exhausted_key_hands_over_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    quota = http(
        429,
        type="insufficient_quota",
        code="insufficient_quota",
        message="You exceeded your current quota",
    )
    service = FakeService([quota], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [Secret(EXPLICIT_KEY), Secret(ENV_KEY)]
    assert h.sleeps == []


async def test_quota_exhausted_with_one_key_is_raised() -> None:
    keys = ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})
    service = FakeService([http(402)], [*OK], provider=KEYED)
    h = harness(service, provider=KEYED, keys=keys)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert service.calls == 1


async def test_no_key_before_any_provider_call() -> None:
    # the autouse fixture cleared FAKE_API_KEY and points LIMINAL_HOME at an empty dir
    service = FakeService([*OK], provider=KEYED)
    h = harness(service, provider=KEYED)
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.NO_KEY
    assert error.exit_code == 3
    assert "FAKE_API_KEY" in (error.hint or "")
    assert service.calls == 0
    with pytest.raises(LiminalError) as caught:
        await h.managed.complete(request())
    assert caught.value.code is ErrorCode.NO_KEY
    assert service.calls == 0


async def test_keyless_provider_gets_no_key() -> None:
    service = FakeService([*OK])
    h = harness(service)
    assert await collect(h.managed.stream(request())) == OK
    assert service.keys_seen == [None]
    assert service.api_keys_seen == ["no-key"]


# -- validation before any call -------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [{"top_p": 0.5}, {"seed": 1}, {"temperature": 9}, {"max_tokens": 5000}],
)
async def test_parameters_the_model_refuses_fail_before_any_call(
    parameters: dict[str, Any],
) -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(parameters=parameters)), [])
    assert error.code is ErrorCode.INVALID_REQUEST
    with pytest.raises(LiminalError):
        await h.managed.complete(request(parameters=parameters))
    assert service.calls == 0


async def test_unknown_model_fails_before_any_call() -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(model="fake-2")), [])
    assert error.code is ErrorCode.MODEL_NOT_FOUND
    assert service.calls == 0


async def test_empty_request_fails_before_any_call() -> None:
    service = FakeService([*OK])
    h = harness(service)
    error = await failure(h.managed.stream(request(messages=())), [])
    assert error.code is ErrorCode.INVALID_REQUEST
    assert service.calls == 0


# -- timeouts --------------------------------------------------------------------------------------


async def test_idle_timeout_before_the_first_chunk_is_timeout_naming_idle() -> None:
    service = FakeService([Stall(5.0), *OK])
    h = harness(service, policy=RetryPolicy(max_attempts=1), timeouts=Timeouts(idle=0.05))
    started = asyncio.get_running_loop().time()
    error = await failure(h.managed.stream(request()), [])
    assert asyncio.get_running_loop().time() - started < 2.0
    assert error.code is ErrorCode.TIMEOUT
    assert "idle" in error.message
    assert service.closed == 1


async def test_idle_timeout_before_the_first_chunk_is_retried() -> None:
    service = FakeService([Stall(5.0), *OK], [*OK])
    h = harness(service, timeouts=Timeouts(idle=0.05))
    assert await collect(h.managed.stream(request())) == OK
    assert service.calls == 2
    assert [n.code for n in h.notices] == [ErrorCode.TIMEOUT]


async def test_idle_timeout_between_chunks_interrupts_and_keeps_text() -> None:
    service = FakeService([TextDelta("a"), Stall(5.0), TextDelta("b"), Finish(FinishReason.STOP)])
    h = harness(service, timeouts=Timeouts(idle=0.05))
    error = await failure(h.managed.stream(request()), [])
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "idle" in error.message
    assert error.partial_text == "a"
    assert service.calls == 1
    assert service.closed == 1


async def test_slow_but_steady_stream_is_not_an_idle_timeout() -> None:
    script = [TextDelta("a"), Stall(0.02), TextDelta("b"), Stall(0.02), Finish(FinishReason.STOP)]
    h = harness(FakeService(script), timeouts=Timeouts(idle=0.5))
    events = await collect(h.managed.stream(request()))
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("a"), TextDelta("b")]


async def test_total_deadline_of_the_request() -> None:
    script = [TextDelta("a")] + [Stall(0.02), TextDelta("b")] * 100 + [Finish(FinishReason.STOP)]
    h = harness(FakeService(script), timeouts=Timeouts(idle=1.0))
    error = await failure(h.managed.stream(request(timeout=0.15)), [])
    assert error.code is ErrorCode.STREAM_INTERRUPTED
    assert "total deadline" in error.message
    assert error.partial_text.startswith("ab")


async def test_complete_total_timeout() -> None:
    h = harness(FakeService([Stall(5.0)]), timeouts=Timeouts(total=0.05))
    with pytest.raises(LiminalError) as caught:
        await h.managed.complete(request())
    assert caught.value.code is ErrorCode.TIMEOUT


# -- cancellation and closing --------------------------------------------------------------------


async def test_cancelling_the_consumer_closes_the_provider_stream() -> None:
    service = FakeService([TextDelta("a"), Stall(30.0), *OK])
    h = harness(service)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in h.managed.stream(request()):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    await asyncio.sleep(0.01)  # the provider is now stalled inside its stream
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert service.closed == 1
    assert service.calls == 1


async def test_closing_the_stream_early_closes_the_provider_stream_at_once() -> None:
    service = FakeService([*OK])
    h = harness(service)
    stream = h.managed.stream(request())
    assert await stream.__anext__() == TextDelta("Hello")
    await stream.aclose()  # the consumer stops reading (e.g. Ctrl-C in the REPL)
    assert service.closed == 1


async def test_abandoned_stream_does_not_leak_the_key_into_the_consumer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = two_keys(monkeypatch)
    h = harness(FakeService([*OK], provider=KEYED), provider=KEYED, keys=keys)
    async for _ in h.managed.stream(request()):
        break
    gc.collect()
    await asyncio.sleep(0.01)
    assert current_key() is None


# -- complete / validate_key / list_remote_models ------------------------------------------------


async def test_complete_is_retried_before_it_answers() -> None:
    h = harness(FakeService([http(500)], [http(429, {"retry-after": "1"})], []))
    result = await h.managed.complete(request())
    assert result.text == "done"
    assert h.service.calls == 3
    assert len(h.sleeps) == 2
    assert h.sleeps[1] == 1.0


async def test_complete_auth_invalid_rotates(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = two_keys(monkeypatch)
    service = FakeService([], provider=KEYED, key_check=rejects(EXPLICIT_KEY))
    h = harness(service, provider=KEYED, keys=keys)
    assert (await h.managed.complete(request())).text == "done"
    assert service.api_keys_seen == [EXPLICIT_KEY, ENV_KEY]


@pytest.mark.parametrize(
    ("script", "status"),
    [
        ([], KeyStatus.VALID),
        ([http(401)], KeyStatus.INVALID),
        ([http(403)], KeyStatus.INVALID),
        ([Raise(lambda: ConnectionRefusedError())], KeyStatus.UNKNOWN),
        ([http(500)], KeyStatus.UNKNOWN),
        ([http(429)], KeyStatus.UNKNOWN),
    ],
)
async def test_validate_key(script: list[Any], status: KeyStatus) -> None:
    h = harness(FakeService(script))
    assert await h.managed.validate_key(Secret("tk-test-validate-me")) is status


async def test_list_remote_models_is_retried() -> None:
    h = harness(FakeService([http(502)], []))
    assert await h.managed.list_remote_models() == ["fake-1", "fake-2"]
    assert h.service.calls == 2
