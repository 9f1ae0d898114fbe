"""Liminal's directories are 0700 and its files 0600: prompts and answers are private."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from liminal.store import ConversationStore

if TYPE_CHECKING:
    from support.clirunner import Liminal

pytestmark = pytest.mark.skipif(not hasattr(stat, "S_IRWXG"), reason="POSIX permissions")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_and_its_directory_are_private(cli: Liminal, liminal_home: Path) -> None:
    result = cli("conversations", "list")

    assert result.returncode == 0, result.stderr
    assert mode(liminal_home) == 0o700
    assert mode(liminal_home / "conversations.db") == 0o600
    assert "permissions" not in result.stderr  # nothing was tightened: it was made private


def test_the_write_ahead_log_and_shared_memory_files_are_private(liminal_home: Path) -> None:
    store = ConversationStore()
    try:
        store.new_conversation("a secret system prompt")  # a write: the WAL and SHM exist now
        db = liminal_home / "conversations.db"
        companions = [Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(p.exists() for p in companions)
        assert [mode(p) for p in [db, *companions]] == [0o600, 0o600, 0o600]
    finally:
        store.close()


def test_a_store_readable_by_others_is_tightened_once(cli: Liminal, liminal_home: Path) -> None:
    liminal_home.mkdir(mode=0o755)
    liminal_home.chmod(0o755)
    db = liminal_home / "conversations.db"
    sqlite3.connect(db).close()
    db.chmod(0o644)
    (liminal_home / "preferences.json").write_text('{"default_model": null}\n')
    (liminal_home / "preferences.json").chmod(0o644)

    first = cli("conversations", "list")
    second = cli("conversations", "list")

    assert first.returncode == 0, first.stderr
    notes = [line for line in first.stderr.splitlines() if "permissions" in line]
    assert len(notes) == 1, first.stderr
    assert str(liminal_home) in notes[0]
    assert "Traceback" not in first.stderr
    assert mode(liminal_home) == 0o700
    assert mode(db) == 0o600
    assert mode(liminal_home / "preferences.json") == 0o600
    assert "permissions" not in second.stderr


def test_files_liminal_writes_are_private(cli: Liminal, liminal_home: Path) -> None:
    assert cli("models", "default", "smollm2").returncode == 0
    assert cli("models", "list").returncode == 0  # writes the registry snapshot (cache/)

    assert mode(liminal_home / "preferences.json") == 0o600
    assert mode(liminal_home / "cache") == 0o700
    assert mode(liminal_home / "cache" / "models.json") == 0o600


def test_files_that_are_not_liminals_keep_their_modes(cli: Liminal, liminal_home: Path) -> None:
    liminal_home.mkdir(mode=0o755)
    liminal_home.chmod(0o755)
    script = liminal_home / "backup.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)

    result = cli("conversations", "list")

    assert result.returncode == 0, result.stderr
    assert mode(liminal_home) == 0o700
    assert mode(script) == 0o755
