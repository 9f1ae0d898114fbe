"""The one retry layer: full-jitter exponential backoff (``backoff``) with Retry-After.

Provider SDK clients are built with ``max_retries=0``; only this module decides
whether and when a failed call is tried again.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import attrs
import backoff

from liminal.errors import ErrorCode, LiminalError

__all__ = ["Decision", "RetryNotice", "RetryPolicy"]


@attrs.frozen
class RetryPolicy:
    max_attempts: int = 4
    base: float = 0.5
    cap: float = 20.0
    #: Total seconds across all attempts and waits.
    deadline: float = 60.0
    #: Longest Retry-After honoured by sleeping; above it the key cools down instead.
    retry_after_cap: float = 60.0

    def backoff_delays(self, rng: Callable[[float], float] | None = None) -> Iterator[float]:
        """Full-jitter exponential waits: uniform(0, min(cap, base * 2**n))."""
        jitter = rng or backoff.full_jitter
        ceilings: Iterator[float | None] = backoff.expo(
            base=2, factor=self.base, max_value=self.cap
        )
        for ceiling in ceilings:
            if ceiling is None:  # backoff.expo primes its generator with None
                continue
            yield jitter(min(ceiling, self.cap))


@attrs.frozen
class Decision:
    """What to do after a failed attempt."""

    retry: bool
    delay: float = 0.0
    #: Why the call is not retried (for the error message).
    reason: str | None = None


def decide(
    error: LiminalError,
    *,
    policy: RetryPolicy,
    attempt: int,
    elapsed: float,
    backoff_delay: float,
) -> Decision:
    """Whether attempt number ``attempt`` (1-based, just failed) is followed by another."""
    if not error.retryable:
        return Decision(False, reason="not retryable")
    if attempt >= policy.max_attempts:
        return Decision(False, reason=f"gave up after {attempt} attempts")
    if error.retry_after is not None:
        if error.retry_after > policy.retry_after_cap:
            return Decision(False, reason="retry-after above the cap")
        delay = error.retry_after
    else:
        delay = backoff_delay
    if elapsed + delay > policy.deadline:
        return Decision(False, reason=f"retry deadline of {policy.deadline:g} s reached")
    return Decision(True, delay)


@attrs.frozen
class RetryNotice:
    """Reported (stderr in the CLI) each time a call is retried."""

    provider: str
    model: str
    code: ErrorCode
    delay: float
    attempt: int
    max_attempts: int
    message: str

    def describe(self) -> str:
        what = {
            ErrorCode.RATE_LIMITED: "rate limited by",
            ErrorCode.OVERLOADED: "overloaded:",
            ErrorCode.SERVER_ERROR: "server error from",
            ErrorCode.TIMEOUT: "timed out talking to",
            ErrorCode.NETWORK: "network error reaching",
        }.get(self.code, f"{self.code.value} from")
        return (
            f"{what} {self.provider}; retrying in {self.delay:.1f} s "
            f"(attempt {self.attempt} of {self.max_attempts})"
        )


def seeded_jitter(seed: int) -> Callable[[float], float]:
    """A reproducible full-jitter function for tests and benchmarks."""
    rng = random.Random(seed)
    return lambda value: rng.uniform(0, value)
