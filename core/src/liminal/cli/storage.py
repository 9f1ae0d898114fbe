"""Opening the conversation store for a command; a prompt without history can do without it."""

from __future__ import annotations

import click

from liminal.store import ConversationStore, StoreDamaged


def open_store(*, needs_history: bool) -> ConversationStore:
    """The user's store; when it is damaged and no history is asked for (no ``-c``/``--cid``),
    a store that keeps nothing, so the prompt is still answered (and the store not touched)."""
    try:
        return ConversationStore()
    except StoreDamaged as damaged:
        if needs_history:
            raise
        click.echo(f"Note: {damaged.message}; this prompt and its answer are not stored", err=True)
        return ConversationStore.in_memory()
