"""``liminal conversations``: what was said, from the store."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from liminal.cli.output import echo_json

if TYPE_CHECKING:
    from liminal.store import StoredMessage


def format_message(message: StoredMessage) -> str:
    """``model: text`` (``user: text``), with the status when it is not complete."""
    who = message.model or message.role.value
    note = "" if message.status == "complete" else f" [{message.status}]"
    return f"{who}{note}: {message.content}"


@click.group("conversations")
def conversations() -> None:
    """Stored conversations."""


@conversations.command("list")
@click.option(
    "-q", "--query", metavar="TEXT", help="Only conversations with a message containing TEXT."
)
@click.option("-m", "--model", metavar="MODEL", help="Only conversations MODEL took part in.")
@click.option(
    "-n", "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="At most N."
)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def list_conversations(query: str | None, model: str | None, limit: int, as_json: bool) -> None:
    """List conversations, newest first."""
    from liminal.store import ConversationStore

    if model:
        from liminal.plugins import get_plugins

        loaded = get_plugins()
        if model in loaded.models:
            model = loaded.models.resolve(model).id  # an alias finds its model's turns
    store = ConversationStore()
    try:
        rows = store.list(limit, query=query, model=model)
    finally:
        store.close()
    if as_json:
        echo_json(
            [{"id": r[0], "updated": r[1], "messages": r[2], "first_prompt": r[3]} for r in rows]
        )
        return
    if not rows:
        filtered = " matching that" if query or model else ""
        click.echo(
            f"No conversations{filtered} yet; `liminal prompt TEXT` or `liminal chat` starts one.",
            err=True,
        )
        return
    width = _terminal_width()
    for cid, updated, count, first in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(updated))
        head = f"{cid}  {when}  {count:3d} messages  "
        click.echo(head + _clip(" ".join(first.split()), max(width - len(head), 20)))


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@conversations.command("delete")
@click.argument("cid", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask.")
def delete_conversation(cid: str, yes: bool) -> None:
    """Delete conversation ID and all its messages."""
    from liminal.store import ConversationStore

    store = ConversationStore()
    try:
        conversation = store.get(cid)
        if not yes and not sys.stdin.isatty():
            raise click.UsageError("nobody to ask for confirmation; add --yes to delete")
        if not yes:
            count = len(conversation.messages)
            click.confirm(f"Delete conversation {cid} ({count} messages)?", abort=True, err=True)
        store.delete(cid)
    finally:
        store.close()
    click.echo(f"Deleted conversation {cid}", err=True)


@conversations.command("show")
@click.argument("cid", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def show_conversation(cid: str, as_json: bool) -> None:
    """Show every message of conversation ID."""
    from liminal._serialize import unstructure
    from liminal.store import ConversationStore

    store = ConversationStore()
    try:
        conversation = store.get(cid)
    finally:
        store.close()
    if as_json:
        echo_json(unstructure(conversation))
        return
    if conversation.system:
        click.echo(f"system: {conversation.system}")
    for message in conversation.messages:
        click.echo(format_message(message))
