"""Helpers provider services share when they turn an SDK stream into Liminal events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

from liminal.errors import ErrorCode, LiminalError

__all__ = ["ended_early", "guard_malformed"]

T = TypeVar("T")


async def guard_malformed(items: AsyncIterable[T], *, provider: str) -> AsyncIterator[T]:
    """``items``, with data that is not valid JSON reported as SERVER_ERROR (not a raw
    ``JSONDecodeError`` from inside the SDK)."""
    iterator = items.__aiter__()
    while True:
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            return
        except json.JSONDecodeError as exc:
            raise LiminalError(
                ErrorCode.SERVER_ERROR,
                f"{provider}: the server sent malformed data in the stream",
                provider=provider,
            ) from exc
        yield item


def ended_early(provider: str, model: str, received: list[str], terminal: str) -> LiminalError:
    """STREAM_INTERRUPTED for a stream that ended without its ``terminal`` event."""
    return LiminalError(
        ErrorCode.STREAM_INTERRUPTED,
        f"{provider}: the stream ended before {terminal}",
        provider=provider,
        model=model,
        partial_text="".join(received),
    )
