"""Rendering a conversation's turn in the terminal: text to stdout, notices to stderr.

The turn itself (history, fitting, fallback, storing) is :class:`liminal.conversation.
Conversation`'s; this module only prints what it reports.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

from liminal.cli.loop import run_and_close
from liminal.retry import RetryNotice

if TYPE_CHECKING:
    from liminal.conversation import Answer, Conversation, Notice
    from liminal.factory import LlmServiceFactory


class _Screen:
    """Whether the answer's last line on stdout is still open (no newline yet)."""

    open_line = False


def end_line() -> None:
    """End the answer's line on stdout, if it is open, before anything else is printed."""
    if _Screen.open_line:
        sys.stdout.write("\n")
        sys.stdout.flush()
        _Screen.open_line = False


def notify(notice: RetryNotice | Notice) -> None:
    """Retries, fallbacks, trimmed history, another model answering: one line on stderr,
    on a line of its own."""
    end_line()
    click.echo(notice.describe(), err=True)


def cli_factory(**kwargs: Any) -> LlmServiceFactory:
    """The factory every command uses: retries and loading progress shown on stderr."""
    from liminal.cli.progress import ProgressLine
    from liminal.factory import LlmServiceFactory

    return LlmServiceFactory(on_retry=notify, on_progress=ProgressLine(), **kwargs)


async def stream_answer(
    conversation: Conversation,
    text: str,
    *,
    timeout: float | None = None,
    out: TextIO | None = None,
) -> Answer:
    """Stream one turn's text to ``out`` (stdout), ending the line; the answer."""
    from liminal.types import TextDelta

    out = out or sys.stdout
    try:
        async for event in conversation.stream(text, timeout=timeout):
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
                _Screen.open_line = not event.text.endswith("\n")
    finally:
        end_line()  # also when the answer was cut or failed: the error starts a new line
    assert conversation.last is not None
    return conversation.last


def run_prompt(
    text: str,
    *,
    model_name: str | None,
    system: str | None,
    parameters: dict[str, Any],
    stream: bool,
    key: str | None,
    timeout: float | None,
    continue_latest: bool = False,
    cid: str | None = None,
    fallbacks: tuple[str, ...] = (),
    store: bool = True,
) -> dict[str, Any]:
    """Send one prompt; stream text to stdout when ``stream``; return the JSON form.
    ``store=False``: the turn is kept in memory only (``--no-log``)."""
    from liminal.cli.storage import open_store
    from liminal.conversation import Conversation
    from liminal.keys.pool import ApiKeyManager
    from liminal.keys.secret import Secret
    from liminal.store import ConversationStore

    if store:  # a damaged store still answers a prompt without history, unstored
        kept = open_store(needs_history=continue_latest or cid is not None)
    else:
        kept = ConversationStore.in_memory()
    try:
        factory = cli_factory(keys=ApiKeyManager())
        conversation = Conversation.open(
            factory,
            kept,
            model_name=model_name,
            cid=cid,
            continue_latest=continue_latest,
            system=system,
            parameters=parameters,
            fallbacks=fallbacks,
            on_notice=notify,
        )
        if key is not None:
            service = factory.for_model(conversation.model.id)
            factory.keys.set_explicit(service.key_pool(conversation.model), Secret(key))

        async def turn() -> Answer:
            if stream:
                return await stream_answer(conversation, text, timeout=timeout)
            return await conversation.complete(text, timeout=timeout)

        answer = run_and_close(factory, turn())
    finally:
        kept.close()
    data = answer.as_json()
    if kept.in_memory_only:
        data["conversation"] = None
    data["provider"] = conversation.model.provider
    return data
