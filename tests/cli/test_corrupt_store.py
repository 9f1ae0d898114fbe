"""A conversation store with a bad page: a clear INVALID_REQUEST, and the file is never written."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from liminal.store import ConversationStore
from liminal.types import Message, Role
from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal
    from support.faults import Faults

PAGE = 4096


@attrs.frozen
class CorruptStore:
    """The store's file, and its digest before the test."""

    path: Path
    digest: str

    def unchanged(self) -> bool:
        return digest(self.path) == self.digest


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(liminal_home: Path) -> CorruptStore:
    """A store of a few pages whose third page is garbage (SQLite: "malformed")."""
    conversations = ConversationStore(liminal_home / "conversations.db")
    try:
        for _ in range(40):
            cid = conversations.new_conversation()
            conversations.add(cid, Message(Role.USER, "a question " * 40))
    finally:
        conversations.close()
    db = liminal_home / "conversations.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 3 * PAGE
    data[2 * PAGE : 3 * PAGE] = b"\xff" * PAGE
    db.write_bytes(bytes(data))
    return CorruptStore(db, digest(db))


@pytest.fixture
def openai_at_faults(cli: Liminal, faults: Faults) -> Liminal:
    """The ``liminal`` script with OpenAI pointed at the fault server."""
    cli.env["OPENAI_BASE_URL"] = faults.base_url
    return cli


def assert_store_error(result: object, db: Path) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    line = error_line(stderr)
    assert line.startswith("Error [INVALID_REQUEST]:")
    assert str(db) in line
    hint = next(x for x in stderr.splitlines() if x.startswith("Hint:"))
    assert "mv" in hint
    assert str(db) in hint
    assert "Traceback" not in stderr


def test_conversations_list_names_the_file_and_how_to_move_it_aside(
    cli: Liminal, store: CorruptStore
) -> None:
    result = cli("conversations", "list")

    assert_store_error(result, store.path)
    assert store.unchanged()


@pytest.mark.integration
def test_prompt_with_history_refuses_and_leaves_the_store_alone(
    openai_at_faults: Liminal, store: CorruptStore, faults: Faults
) -> None:
    result = openai_at_faults("prompt", "-c", "-m", "gpt-4.1-mini", "--key", "sk-test", "Go on")

    assert_store_error(result, store.path)
    assert faults.requests() == 0
    assert store.unchanged()


@pytest.mark.integration
def test_prompt_without_history_answers_without_storing(
    openai_at_faults: Liminal, store: CorruptStore, faults: Faults
) -> None:
    result = openai_at_faults("prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "Say hello")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    notes = [line for line in result.stderr.splitlines() if "not stored" in line]
    assert len(notes) == 1, result.stderr
    assert str(store.path) in notes[0]
    assert store.unchanged()
    wal = Path(f"{store.path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
