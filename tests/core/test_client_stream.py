"""ManagedService streams: the invariant, timeouts, cancellation."""

from __future__ import annotations

import asyncio
import gc

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.provider.service import Timeouts, current_key
from liminal.retry import RetryPolicy
from liminal.types import (
    Finish,
    FinishReason,
    StreamEvent,
    TextDelta,
    Usage,
)

from .client_fakes import (
    KEYED,
    OK,
    FakeAPIStatusError,
    FakeService,
    Raise,
    Stall,
    assert_invariant,
    collect,
    failure,
    harness,
    http,
    request,
    two_keys,
)

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
    # --timeout sets only the total: the hint says where the idle limit is raised.
    assert error.hint is not None
    assert '"idle": 120' in error.hint
    assert "config.json" in error.hint
    assert "--timeout" not in error.hint


async def test_total_deadline_before_the_first_chunk_hints_at_timeout_option() -> None:
    h = harness(FakeService([Stall(5.0), *OK]), policy=RetryPolicy(max_attempts=1))
    error = await failure(h.managed.stream(request(timeout=0.05)), [])
    assert error.code is ErrorCode.TIMEOUT
    assert "total deadline" in error.message
    assert error.hint is not None
    assert "--timeout" in error.hint


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


async def test_a_slow_consumer_is_not_an_idle_timeout() -> None:
    # The idle deadline counts the wait for the provider, not the consumer's own time.
    h = harness(FakeService([*OK]), timeouts=Timeouts(idle=0.05))
    events = []
    async for event in h.managed.stream(request()):
        events.append(event)
        await asyncio.sleep(0.08)
    assert events == OK


async def test_cancelling_a_stream_that_waits_is_a_cancel_not_a_timeout() -> None:
    service = FakeService([Stall(30.0), *OK])
    h = harness(service, timeouts=Timeouts(idle=0.05))
    task = asyncio.create_task(collect(h.managed.stream(request())))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert service.closed == 1


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
