"""Consuming a stream of events the way an application that gives up on it does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from liminal import TextDelta


async def cancel_after_first_text(events: AsyncIterator[object], within: float) -> list[str]:
    """Consume ``events`` in a task and cancel it once a text has arrived; the texts received.

    Fails if no text arrives ``within`` seconds or the task does not end cancelled.
    """
    first = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for event in events:
            if isinstance(event, TextDelta):
                received.append(event.text)
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), within)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return received
