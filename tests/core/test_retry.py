"""The retry layer: full-jitter backoff bounds and the retry decision (properties)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liminal.errors import RETRYABLE, ErrorCode, LiminalError
from liminal.retry import Decision, RetryNotice, RetryPolicy, decide, seeded_jitter

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(min_value=1, max_value=10),
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.001, max_value=100.0),
    deadline=st.floats(min_value=0.0, max_value=600.0),
    retry_after_cap=st.floats(min_value=0.0, max_value=120.0),
)
codes = st.sampled_from(ErrorCode)
retry_afters = st.none() | st.floats(min_value=0.0, max_value=300.0)


def test_defaults_match_the_design() -> None:
    policy = RetryPolicy()
    assert (policy.base, policy.cap, policy.retry_after_cap) == (0.5, 20.0, 60.0)
    assert policy.max_attempts >= 2


# -- backoff_delays ---------------------------------------------------------------------------


@given(policies, st.integers(min_value=0, max_value=2**32))
def test_backoff_delays_never_negative_never_above_cap(policy: RetryPolicy, seed: int) -> None:
    for delay in itertools.islice(policy.backoff_delays(seeded_jitter(seed)), 40):
        assert 0.0 <= delay <= policy.cap


@given(policies)
def test_backoff_delays_with_the_real_jitter_stay_in_bounds(policy: RetryPolicy) -> None:
    for delay in itertools.islice(policy.backoff_delays(), 30):
        assert 0.0 <= delay <= policy.cap


@given(policies)
def test_backoff_ceilings_are_exponential_from_base(policy: RetryPolicy) -> None:
    # with an identity "jitter" the delays are the ceilings: min(cap, base * 2**n)
    ceilings = list(itertools.islice(policy.backoff_delays(lambda value: value), 25))
    for n, ceiling in enumerate(ceilings):
        assert ceiling == pytest.approx(min(policy.cap, policy.base * 2**n))


def test_default_ceilings() -> None:
    ceilings = list(itertools.islice(RetryPolicy().backoff_delays(lambda v: v), 8))
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]


def test_jitter_is_full_jitter() -> None:
    # full jitter: uniform over [0, ceiling]; across many draws both halves are hit
    delays = list(itertools.islice(RetryPolicy(base=1.0, cap=1.0).backoff_delays(), 400))
    assert min(delays) < 0.25
    assert max(delays) > 0.75


def test_seeded_jitter_is_reproducible() -> None:
    a = list(itertools.islice(RetryPolicy().backoff_delays(seeded_jitter(7)), 6))
    b = list(itertools.islice(RetryPolicy().backoff_delays(seeded_jitter(7)), 6))
    assert a == b


# -- decide -----------------------------------------------------------------------------------


def _decide(
    code: ErrorCode,
    policy: RetryPolicy,
    attempt: int,
    elapsed: float,
    backoff_delay: float,
    retry_after: float | None = None,
) -> Decision:
    error = LiminalError(code, "failed", retry_after=retry_after)
    return decide(
        error, policy=policy, attempt=attempt, elapsed=elapsed, backoff_delay=backoff_delay
    )


@given(
    codes,
    policies,
    st.integers(min_value=1, max_value=12),
    st.floats(min_value=0.0, max_value=700.0),
    st.floats(min_value=0.0, max_value=100.0),
    retry_afters,
)
def test_decide_properties(
    code: ErrorCode,
    policy: RetryPolicy,
    attempt: int,
    elapsed: float,
    backoff_delay: float,
    retry_after: float | None,
) -> None:
    decision = _decide(code, policy, attempt, elapsed, backoff_delay, retry_after)
    if not decision.retry:
        assert decision.reason
        return
    # never retries a non-retryable code
    assert code in RETRYABLE
    # never past max_attempts
    assert attempt < policy.max_attempts
    # never beyond the deadline
    assert elapsed + decision.delay <= policy.deadline
    assert decision.delay >= 0.0
    if retry_after is not None:
        # honoured exactly (no jitter) when at or under the cap
        assert retry_after <= policy.retry_after_cap
        assert decision.delay == retry_after
    else:
        assert decision.delay == backoff_delay


@given(codes.filter(lambda c: c not in RETRYABLE), policies, retry_afters)
def test_non_retryable_codes_are_never_retried(
    code: ErrorCode, policy: RetryPolicy, retry_after: float | None
) -> None:
    decision = _decide(code, policy, 1, 0.0, 0.0, retry_after)
    assert decision == Decision(False, reason="not retryable")


@given(st.sampled_from(sorted(RETRYABLE)), policies, st.floats(0.0, 1.0))
def test_retryable_code_is_retried_when_nothing_stops_it(
    code: ErrorCode, policy: RetryPolicy, backoff_delay: float
) -> None:
    roomy = RetryPolicy(max_attempts=max(policy.max_attempts, 2), deadline=10.0)
    decision = _decide(code, roomy, 1, 0.0, backoff_delay)
    assert decision.retry
    assert decision.delay == backoff_delay


@given(st.sampled_from(sorted(RETRYABLE)), st.integers(min_value=1, max_value=8))
def test_last_attempt_is_never_retried(code: ErrorCode, max_attempts: int) -> None:
    policy = RetryPolicy(max_attempts=max_attempts)
    decision = _decide(code, policy, max_attempts, 0.0, 0.1)
    assert not decision.retry
    assert f"after {max_attempts} attempts" in (decision.reason or "")


@given(st.floats(min_value=0.0, max_value=60.0))
def test_retry_after_at_or_under_cap_is_honoured_exactly(retry_after: float) -> None:
    decision = _decide(
        ErrorCode.RATE_LIMITED, RetryPolicy(deadline=1000.0), 1, 0.0, 0.123, retry_after
    )
    assert decision.retry
    assert decision.delay == retry_after


@given(st.floats(min_value=0.0, max_value=100.0), st.floats(min_value=1e-6, max_value=500.0))
def test_retry_after_above_cap_is_refused(cap: float, excess: float) -> None:
    policy = RetryPolicy(retry_after_cap=cap, deadline=10_000.0)
    retry_after = cap + excess
    if retry_after <= cap:  # float rounding swallowed the excess
        return
    decision = _decide(ErrorCode.RATE_LIMITED, policy, 1, 0.0, 0.1, retry_after)
    assert not decision.retry
    assert decision.delay == 0.0
    assert "above the cap" in (decision.reason or "")


def test_deadline_refuses_a_wait_that_would_pass_it() -> None:
    policy = RetryPolicy(deadline=10.0)
    assert _decide(ErrorCode.SERVER_ERROR, policy, 1, 9.0, 0.5).retry
    refused = _decide(ErrorCode.SERVER_ERROR, policy, 1, 9.0, 1.5)
    assert not refused.retry
    assert "deadline" in (refused.reason or "")
    assert not _decide(ErrorCode.RATE_LIMITED, policy, 1, 5.0, 0.0, retry_after=6.0).retry


def test_retry_notice_describes_the_retry() -> None:
    notice = RetryNotice("openai", "gpt-x", ErrorCode.RATE_LIMITED, 2.0, 2, 4, "slow down")
    text = notice.describe()
    assert "rate limited by openai" in text
    assert "2.0 s" in text
    assert "attempt 2 of 4" in text
