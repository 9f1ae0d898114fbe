"""Running answers for the browser: one task per turn, its events as Server-Sent Events.

The turn is :meth:`Conversation.stream`'s; a task runs it so that Stop can cancel it while
the response still sends its last event. Cancelling is what Ctrl-C is in the CLI: the
conversation stores what arrived as ``interrupted``. A browser that goes away (a reload
mid-answer) cancels it the same way.

Retry and loading-progress notices come from the factory, which every turn shares; a
context variable routes each to the turn whose task reported it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from liminal.errors import ErrorCode, LiminalError
from liminal.types import TextDelta

if TYPE_CHECKING:
    from liminal.conversation import Conversation, Notice
    from liminal.provider.service import Progress
    from liminal.retry import RetryNotice

__all__ = ["Turns", "error_json", "report_progress", "report_retry"]

log = logging.getLogger("liminal.web")

Event = tuple[str, dict[str, Any]]
Emit = Callable[[str, dict[str, Any]], None]

_current: contextvars.ContextVar[Emit | None] = contextvars.ContextVar(
    "liminal_web_turn", default=None
)


def report_retry(notice: RetryNotice) -> None:
    """The factory's ``on_retry``: to the turn being retried."""
    emit = _current.get()
    if emit is not None:
        emit("notice", {"kind": "retry", "text": notice.describe()})


def report_progress(progress: Progress) -> None:
    """The factory's ``on_progress`` (loading a local model): to the turn that waits."""
    emit = _current.get()
    if emit is not None:
        text = "" if progress.done else f"{progress.activity} ({progress.elapsed:.0f} s)"
        emit("progress", {"text": text, "done": progress.done})


def error_json(error: BaseException) -> dict[str, Any]:
    """``{"code", "message", "hint"}``; anything unexpected is UNKNOWN, redacted, one line."""
    if not isinstance(error, LiminalError):
        from liminal.keys.secret import redact

        text = redact(f"{type(error).__name__}: {error}".splitlines()[0])
        error = LiminalError(ErrorCode.UNKNOWN, f"unexpected {text}")
    return {"code": error.code.value, "message": error.message, "hint": error.hint}


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class Turns:
    """The answers being streamed, by turn id."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[None]] = {}

    def stop(self, turn_id: str) -> bool:
        """End a running answer (what arrived is kept); False when it already ended."""
        task = self._running.get(turn_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def stream(
        self, conversation: Conversation, text: str, parameters: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        """The turn's events as SSE bytes: ``start``, then ``delta``/``notice``/``progress``,
        then one of ``done``, ``stopped`` or ``error``."""
        turn_id = uuid.uuid4().hex
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        last_progress: list[dict[str, Any]] = [{}]

        def emit(event: str, data: dict[str, Any]) -> None:
            if event == "progress":  # reported several times a second: send what changed
                if data == last_progress[0]:
                    return
                last_progress[0] = data
            queue.put_nowait((event, data))

        def on_notice(notice: Notice) -> None:
            emit("notice", {"kind": type(notice).__name__.lower(), "text": notice.describe()})

        conversation.on_notice = on_notice
        task = asyncio.create_task(_run(conversation, text, parameters, emit, queue))
        self._running[turn_id] = task
        try:
            yield sse("start", {"turn": turn_id, "model": conversation.model.id})
            while (item := await queue.get()) is not None:
                yield sse(*item)
        finally:
            self._running.pop(turn_id, None)
            if not task.done():  # the browser went away mid-answer: stop it, keep the text
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


async def _run(
    conversation: Conversation,
    text: str,
    parameters: dict[str, Any],
    emit: Emit,
    queue: asyncio.Queue[Event | None],
) -> None:
    _current.set(emit)  # this task's own context: retries and progress come back here
    received: list[str] = []
    try:
        async for event in conversation.stream(text, parameters=parameters):
            if isinstance(event, TextDelta):
                received.append(event.text)
                emit("delta", {"text": event.text})
        answer = conversation.last
        assert answer is not None
        usage = answer.usage
        emit(
            "done",
            {
                "cid": conversation.id,
                "model": answer.model,
                "finish_reason": answer.finish_reason.value if answer.finish_reason else None,
                "usage": {"input": usage.input, "output": usage.output} if usage else None,
            },
        )
    except asyncio.CancelledError:  # Stop: the conversation stored the text as interrupted
        emit("stopped", {"cid": conversation.id, "model": conversation.model.id})
    except Exception as error:
        if not isinstance(error, LiminalError):
            log.error("unexpected failure in a turn: %s", error_json(error)["message"])
        emit(
            "error",
            {**error_json(error), "cid": conversation.id, "partial": bool(received)},
        )
    finally:
        queue.put_nowait(None)
