"""One timer per stream for its idle and total deadlines, instead of a timeout per chunk.

A chunk costs two attribute stores and a clock read; the timer fires about once per idle
period and re-arms itself from when the stream last asked for data. It only counts the time
the stream waits for its provider, never the time its consumer holds it.
"""

from __future__ import annotations

import asyncio
import sys

__all__ = ["Watchdog"]


class Watchdog:
    """Cancels the waiting task when the provider sent nothing for ``idle`` seconds, or at
    ``total_at`` (event-loop clock); :meth:`expired` then tells that cancel from others."""

    __slots__ = ("_cancelling", "_handle", "_loop", "_task", "idle", "since", "total_at")

    def __init__(self, loop: asyncio.AbstractEventLoop, idle: float, total_at: float) -> None:
        self._loop = loop
        self.idle = idle
        self.total_at = total_at
        #: When the stream began waiting for the provider (None: it is not waiting).
        self.since: float | None = None
        self._task: asyncio.Task[object] | None = None
        self._handle: asyncio.TimerHandle | None = None
        #: The task's cancel count before the watchdog cancelled it (None: it did not).
        self._cancelling: int | None = None

    @property
    def tripped_total(self) -> bool:
        """Whether the total deadline, not the idle one, was the one that tripped."""
        since = self.since if self.since is not None else self._loop.time()
        return self.total_at <= since + self.idle

    def waiting(self) -> None:
        """The stream is about to wait for the provider."""
        self.since = now = self._loop.time()
        self._task = asyncio.current_task(self._loop)
        if self._handle is None:
            self._handle = self._loop.call_at(min(now + self.idle, self.total_at), self._check)

    def _check(self) -> None:
        self._handle = None
        since = self.since
        if since is None or self._task is None:
            return  # the consumer holds the stream: re-armed when it asks for more
        due = min(since + self.idle, self.total_at)
        if self._loop.time() < due:
            self._handle = self._loop.call_at(due, self._check)
            return
        if sys.version_info >= (3, 11):
            self._cancelling = self._task.cancelling()
        else:  # pragma: no cover - Python 3.10
            self._cancelling = 0
        self._task.cancel()

    def expired(self) -> bool:
        """Whether the ``CancelledError`` being handled is the watchdog's own (and only)."""
        if self._cancelling is None or self._task is None:
            return False
        if sys.version_info >= (3, 11):
            return self._task.uncancel() <= self._cancelling
        return True  # pragma: no cover - Python 3.10

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
