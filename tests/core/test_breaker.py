"""The per-provider circuit breaker: opens, fails fast, probes, closes."""

from __future__ import annotations

import pytest

from liminal.breaker import CircuitBreaker
from liminal.errors import ErrorCode, LiminalError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def outage(code: ErrorCode = ErrorCode.SERVER_ERROR) -> LiminalError:
    return LiminalError(code, "boom", provider="p")


def test_opens_after_consecutive_outage_failures_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=3, cooldown=30, clock=clock)
    for _ in range(2):
        breaker.before_call()
        breaker.record(outage())
    assert breaker.state == "closed"
    breaker.record(outage(ErrorCode.OVERLOADED))
    assert breaker.state == "open"
    with pytest.raises(LiminalError) as caught:
        breaker.before_call()
    assert caught.value.code is ErrorCode.OVERLOADED
    assert "p is failing (3 failures in a row)" in caught.value.message
    assert caught.value.retry_after == pytest.approx(30)
    assert "--fallback" in caught.value.hint


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker("p", failures=2, clock=Clock())
    breaker.record(outage())
    breaker.record(None)
    breaker.record(outage())
    assert breaker.state == "closed"


def test_request_errors_do_not_count() -> None:
    breaker = CircuitBreaker("p", failures=1, clock=Clock())
    for code in (ErrorCode.AUTH_INVALID, ErrorCode.INVALID_REQUEST, ErrorCode.RATE_LIMITED):
        breaker.record(outage(code))
    assert breaker.state == "closed"


def test_half_open_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, cooldown=10, clock=clock)
    breaker.record(outage())
    clock.now += 10
    assert breaker.state == "half-open"
    breaker.before_call()  # the probe
    with pytest.raises(LiminalError):
        breaker.before_call()  # a second caller while the probe runs
    breaker.record(None)
    assert breaker.state == "closed"
    breaker.before_call()


def test_a_failed_probe_opens_the_circuit_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=2, cooldown=10, clock=clock)
    breaker.record(outage())
    breaker.record(outage())
    clock.now += 11
    breaker.before_call()
    breaker.record(outage(ErrorCode.TIMEOUT))
    assert breaker.state == "open"
    with pytest.raises(LiminalError) as caught:
        breaker.before_call()
    assert caught.value.code is ErrorCode.TIMEOUT


def test_a_cancelled_probe_does_not_keep_the_circuit_shut() -> None:
    clock = Clock()
    breaker = CircuitBreaker("p", failures=1, cooldown=10, clock=clock)
    breaker.record(outage())
    clock.now += 10
    breaker.before_call()  # the probe...
    breaker.abandon()  # ...is cancelled by its caller: no outcome
    breaker.before_call()  # the next caller may probe
    breaker.record(None)
    assert breaker.state == "closed"
