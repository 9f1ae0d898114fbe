"""Helpers provider services share when they turn an SDK stream into Liminal events."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from typing import TypeVar

from liminal.errors import ErrorCode, LiminalError

__all__ = [
    "check_event_stream",
    "drain",
    "ended_early",
    "guard_malformed",
    "malformed",
    "not_an_api_answer",
]

T = TypeVar("T")

#: Seconds the rest of a body may take to arrive after the terminal event (as the SDKs wait).
DRAIN_TIMEOUT = 0.1


def malformed(provider: str, exc: ValueError) -> LiminalError:
    """SERVER_ERROR for stream data that is not valid JSON, or not UTF-8 text at all."""
    what = (
        "bytes that are not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "malformed data"
    )
    return LiminalError(
        ErrorCode.SERVER_ERROR,
        f"{provider}: the server sent {what} in the stream",
        provider=provider,
    )


async def _exhaust(chunks: AsyncIterator[bytes]) -> None:
    async for _ in chunks:
        pass


async def drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows the terminal event for a short while, so that an HTTP/1.1
    connection goes back to the pool instead of being closed with unread bytes."""
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(DRAIN_TIMEOUT):
                await _exhaust(chunks)
        else:  # pragma: no cover - Python 3.10
            await asyncio.wait_for(_exhaust(chunks), DRAIN_TIMEOUT)
    except Exception:  # clean-up must not turn a finished answer into an error
        pass


async def guard_malformed(items: AsyncIterable[T], *, provider: str) -> AsyncIterator[T]:
    """``items``, with data that is not valid JSON, or not UTF-8 text at all, reported as
    SERVER_ERROR (retried like other server garbage), not as a raw ``JSONDecodeError`` or
    ``UnicodeDecodeError`` from inside the SDK."""
    iterator = items.__aiter__()
    while True:
        try:
            item = await iterator.__anext__()
        except StopAsyncIteration:
            return
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise malformed(provider, exc) from exc
        yield item


def ended_early(provider: str, model: str, received: list[str], terminal: str) -> LiminalError:
    """STREAM_INTERRUPTED for a stream that ended without its ``terminal`` event."""
    if received:
        return LiminalError(
            ErrorCode.STREAM_INTERRUPTED,
            f"{provider}: the stream ended before {terminal}",
            provider=provider,
            model=model,
            partial_text="".join(received),
        )
    return LiminalError(
        ErrorCode.STREAM_INTERRUPTED,
        f"{provider}: the stream ended before {terminal}, before any text",
        hint="nothing arrived: try again; if it keeps happening, check the provider's base URL",
        provider=provider,
        model=model,
    )


def not_an_api_answer(provider: str, got: str, *, base_url_var: str | None = None) -> LiminalError:
    """SERVER_ERROR for an answer that is not the provider's API speaking (a web page...).

    ``base_url_var``: the provider's own base URL variable, named in the hint.
    """
    where = f"{base_url_var}, or a declared model's --base-url" if base_url_var else "its setting"
    return LiminalError(
        ErrorCode.SERVER_ERROR,
        f"{provider}: the server did not answer like the provider's API ({got})",
        hint=f"check the provider's base URL ({where}): it must point at its API",
        provider=provider,
    )


def check_event_stream(
    headers: Mapping[str, str], *, provider: str, base_url_var: str | None = None
) -> None:
    """Raise when a streamed request was answered with something else than an event stream
    (an HTML page, or a whole JSON answer from a server that does not stream)."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "text/event-stream":
        got = f"{content_type} instead of an event stream"
        raise not_an_api_answer(provider, got, base_url_var=base_url_var)
