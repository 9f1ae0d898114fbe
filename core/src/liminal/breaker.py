"""A circuit breaker per provider: stop calling a provider that keeps failing.

After ``failures`` consecutive outage-class failures the circuit opens and
calls fail fast; after ``cooldown`` seconds one probe is let through
(half-open): success closes the circuit, failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from liminal.errors import ErrorCode, LiminalError

__all__ = ["OUTAGE_CODES", "CircuitBreaker"]

OUTAGE_CODES = frozenset(
    {ErrorCode.OVERLOADED, ErrorCode.SERVER_ERROR, ErrorCode.TIMEOUT, ErrorCode.NETWORK}
)


class CircuitBreaker:
    def __init__(
        self,
        provider: str,
        *,
        failures: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.threshold = max(failures, 1)
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._last_code = ErrorCode.SERVER_ERROR
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def before_call(self) -> None:
        """Raise when the circuit is open; let one probe through when half-open."""
        with self._lock:
            state = self.state
            if state == "closed":
                return
            if state == "half-open" and not self._probing:
                self._probing = True
                return
            assert self._opened_at is not None
            wait = max(self.cooldown - (self._clock() - self._opened_at), 0.0)
        raise LiminalError(
            self._last_code,
            f"{self.provider} is failing ({self._failures} failures in a row); "
            f"not calling it again for {wait:.0f} s",
            hint="use a model of another provider (-m MODEL, or --fallback MODEL)",
            provider=self.provider,
            retry_after=wait,
        )

    def abandon(self) -> None:
        """The call was cancelled before an outcome: a probe in flight is released."""
        with self._lock:
            self._probing = False

    def record(self, error: LiminalError | None) -> None:
        """The outcome of a call: None for success."""
        with self._lock:
            self._probing = False
            if error is None:
                self._failures = 0
                self._opened_at = None
                return
            if error.code not in OUTAGE_CODES:
                return
            self._failures += 1
            self._last_code = error.code
            if self._failures >= self.threshold or self._opened_at is not None:
                self._opened_at = self._clock()
