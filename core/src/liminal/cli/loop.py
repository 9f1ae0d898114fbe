"""One event loop per command: SDK clients are made, used and closed in the same loop."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class EventLoop:
    """``asyncio.run`` for several calls in a row (a chat), closed once at the end."""

    def __enter__(self) -> EventLoop:
        if sys.version_info >= (3, 11):
            self._runner: Any = asyncio.Runner()
        else:  # pragma: no cover - Python 3.10
            self._loop = asyncio.new_event_loop()
        return self

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if sys.version_info >= (3, 11):
            return self._runner.run(coroutine)  # type: ignore[no-any-return]
        return self._loop.run_until_complete(coroutine)  # pragma: no cover

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if sys.version_info >= (3, 11):
            self._runner.close()
        else:  # pragma: no cover
            self._loop.close()


def run_and_close(factory: Any, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine``, then close ``factory``'s connections in the same loop."""
    with EventLoop() as loop:
        try:
            return loop.run(coroutine)
        finally:
            loop.run(factory.aclose())
