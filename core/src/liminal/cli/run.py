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


def notify(notice: RetryNotice | Notice) -> None:
    """Retries, fallbacks, trimmed history, another model answering: one line on stderr."""
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
    from liminal.errors import LiminalError
    from liminal.types import TextDelta

    out = out or sys.stdout
    wrote = ""
    try:
        async for event in conversation.stream(text, timeout=timeout):
            if isinstance(event, TextDelta):
                out.write(event.text)
                out.flush()
                wrote = event.text
    except LiminalError:
        if wrote:  # the cut answer's line ends before the error is printed
            out.write("\n")
            out.flush()
        raise
    if wrote and not wrote.endswith("\n"):
        out.write("\n")
    out.flush()
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
) -> dict[str, Any]:
    """Send one prompt; stream text to stdout when ``stream``; return the JSON form."""
    from liminal.conversation import Conversation
    from liminal.keys import ApiKeyManager, Secret
    from liminal.store import ConversationStore

    store = ConversationStore()
    try:
        factory = cli_factory(keys=ApiKeyManager())
        conversation = Conversation.open(
            factory,
            store,
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
        store.close()
    data = answer.as_json()
    data["provider"] = conversation.model.provider
    return data
