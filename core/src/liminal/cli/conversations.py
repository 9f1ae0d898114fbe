"""``liminal conversations``: what was said, from the store."""

from __future__ import annotations

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
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def list_conversations(as_json: bool) -> None:
    """List conversations, newest first."""
    from liminal.store import ConversationStore

    store = ConversationStore()
    try:
        rows = store.list()
    finally:
        store.close()
    if as_json:
        echo_json(
            [{"id": r[0], "updated": r[1], "messages": r[2], "first_prompt": r[3]} for r in rows]
        )
        return
    for cid, updated, count, first in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(updated))
        click.echo(f"{cid}  {when}  {count:3d} messages  {first[:60]!r}")


@conversations.command("show")
@click.argument("cid", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def show_conversation(cid: str, as_json: bool) -> None:
    """Show every message of conversation ID."""
    from liminal.serialize import unstructure
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
