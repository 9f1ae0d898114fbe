"""A conversation store with a bad page: a clear INVALID_REQUEST, and the file is never written."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from liminal.store import ConversationStore
from liminal.types import Message, Role
from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal
    from support.faults import Faults

PAGE = 4096


def corrupt_store(home: Path) -> Path:
    """A store of a few pages whose third page is garbage (SQLite: "malformed")."""
    store = ConversationStore(home / "conversations.db")
    try:
        for _ in range(40):
            cid = store.new_conversation()
            store.add(cid, Message(Role.USER, "a question " * 40))
    finally:
        store.close()
    db = home / "conversations.db"
    data = bytearray(db.read_bytes())
    assert len(data) > 3 * PAGE
    data[2 * PAGE : 3 * PAGE] = b"\xff" * PAGE
    db.write_bytes(bytes(data))
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    cli: Liminal, liminal_home: Path
) -> None:
    db = corrupt_store(liminal_home)
    before = digest(db)

    result = cli("conversations", "list")

    assert_store_error(result, db)
    assert digest(db) == before


@pytest.mark.integration
def test_prompt_with_history_refuses_and_leaves_the_store_alone(
    cli: Liminal, liminal_home: Path, faults: Faults
) -> None:
    cli.env["OPENAI_BASE_URL"] = faults.base_url
    db = corrupt_store(liminal_home)
    before = digest(db)

    result = cli("prompt", "-c", "-m", "gpt-4.1-mini", "--key", "sk-test", "Go on")

    assert_store_error(result, db)
    assert faults.requests() == 0
    assert digest(db) == before


@pytest.mark.integration
def test_prompt_without_history_answers_without_storing(
    cli: Liminal, liminal_home: Path, faults: Faults
) -> None:
    cli.env["OPENAI_BASE_URL"] = faults.base_url
    db = corrupt_store(liminal_home)
    before = digest(db)

    result = cli("prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "Say hello")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    notes = [line for line in result.stderr.splitlines() if "not stored" in line]
    assert len(notes) == 1, result.stderr
    assert str(db) in notes[0]
    assert digest(db) == before
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
