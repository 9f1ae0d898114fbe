"""The conversation store: SQLite (stdlib, WAL) in the user data dir.

Every received token reaches the store: an answer is written as it streams (the
conversation flushes it every fraction of a second) and closed as ``complete``,
``interrupted`` (Ctrl-C, a broken stream) or ``error``, so nothing the user saw is lost.
An answer left ``streaming`` by a process that died (``kill -9``) reads as
``interrupted``. A user turn whose answer failed before any text is ``failed``: kept,
shown, never sent again.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import attrs

from liminal.errors import ErrorCode, LiminalError
from liminal.types import Message, Role, Usage

__all__ = ["ConversationStore", "StoreDamaged", "StoredConversation", "StoredMessage", "sendable"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    system TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    created REAL NOT NULL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""
#: Columns added after the first release, added to older stores when they are opened.
_ADDED_COLUMNS = {
    "conversations": {"model": "TEXT"},
    # The pid of the process writing a streaming answer; our own token count of the prompt
    # it answered (compared with the provider's count to calibrate later estimates).
    "messages": {"writer": "INTEGER", "prompt_estimate": "INTEGER"},
}


def _open_checked(path: Path) -> sqlite3.Connection:
    """Open the store privately (0600 in a 0700 directory; SQLite gives its WAL and SHM
    files the database's mode) and check it before anything is written to it."""
    import os

    from liminal.private import FILE_MODE, private_dir, tighten_tree

    if path.parent.is_dir():
        tighten_tree(path.parent)  # a store made before files were private
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    except OSError as exc:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"conversation store {path} cannot be opened ({exc.strerror})",
            hint=f"check the file (`ls -l {path}`); it was left untouched",
        ) from exc
    # One thread at a time, not always the one that opened it (the sync Python API runs its
    # calls on a thread of its own).
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        verdict = db.execute("PRAGMA quick_check").fetchone()
        if verdict is None or verdict[0] != "ok":
            raise sqlite3.DatabaseError(str(verdict[0] if verdict else "no verdict").strip())
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        db.close()
        detail = " ".join(str(exc).split())
        raise StoreDamaged(
            ErrorCode.INVALID_REQUEST,
            f"conversation store {path} is damaged: {detail}",
            hint=f"move it aside to start a new store (`mv {path} {path}.broken`); "
            "it was left untouched",
        ) from exc
    return db


@attrs.frozen
class StoredMessage:
    id: int
    role: Role
    content: str
    model: str | None
    status: str
    usage: Usage | None
    created: float
    #: Our own count of the prompt this answer replied to (None: not an answer, or older).
    prompt_estimate: int | None = None

    def as_message(self) -> Message:
        return Message(self.role, self.content, self.model)


@attrs.frozen
class StoredConversation:
    id: str
    system: str | None
    created: float
    updated: float
    messages: tuple[StoredMessage, ...] = ()
    #: The model the conversation last used (a ``/model`` switch is recorded here).
    model: str | None = None


class StoreDamaged(LiminalError):
    """The store file is not a database or failed its integrity check; nothing was written."""


class ConversationStore:
    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from liminal._paths import data_dir

            path = data_dir() / "conversations.db"
        self.path = path
        self._db = _open_checked(path)
        self._prepare()

    @property
    def in_memory_only(self) -> bool:
        """True for a store that keeps nothing once closed."""
        return str(self.path) == ":memory:"

    @classmethod
    def in_memory(cls) -> ConversationStore:
        """A store that lives and dies with this object: nothing on disk."""
        store = cls.__new__(cls)
        store.path = Path(":memory:")
        store._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        store._prepare()
        return store

    def _prepare(self) -> None:
        self._db.executescript(_SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self._db.close()

    def new_conversation(self, system: str | None = None, model: str | None = None) -> str:
        cid = uuid.uuid4().hex[:12]
        now = time.time()
        self._db.execute(
            "INSERT INTO conversations (id, system, created, updated, model)"
            " VALUES (?, ?, ?, ?, ?)",
            (cid, system, now, now, model),
        )
        return cid

    def set_system(self, cid: str, system: str | None) -> None:
        self._db.execute("UPDATE conversations SET system = ? WHERE id = ?", (system, cid))

    def set_model(self, cid: str, model: str) -> None:
        self._db.execute("UPDATE conversations SET model = ? WHERE id = ?", (model, cid))

    def set_status(self, message_id: int, status: str) -> None:
        self._db.execute("UPDATE messages SET status = ? WHERE id = ?", (status, message_id))

    def add(self, cid: str, message: Message, status: str = "complete") -> int:
        now = time.time()
        cursor = self._db.execute(
            "INSERT INTO messages (conversation_id, role, content, model, status, created,"
            " finished) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, Role(message.role).value, message.content, message.model, status, now, now),
        )
        self._db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def start_answer(self, cid: str, model: str, prompt_estimate: int | None = None) -> int:
        """An assistant message being received; :meth:`update_answer` keeps it current."""
        message_id = self.add(cid, Message(Role.ASSISTANT, "", model), status="streaming")
        self._db.execute(
            "UPDATE messages SET writer = ?, prompt_estimate = ? WHERE id = ?",
            (os.getpid(), prompt_estimate, message_id),
        )
        return message_id

    def update_answer(
        self,
        message_id: int,
        text: str,
        status: str,
        usage: Usage | None = None,
        model: str | None = None,
    ) -> None:
        """Record what arrived; ``model`` when another model (a fallback) answered."""
        self._db.execute(
            "UPDATE messages SET content = ?, status = ?, input_tokens = ?, output_tokens = ?,"
            " finished = ?, model = COALESCE(?, model) WHERE id = ?",
            (
                text,
                status,
                usage.input if usage else None,
                usage.output if usage else None,
                time.time(),
                model,
                message_id,
            ),
        )

    def latest_id(self) -> str | None:
        row = self._db.execute(
            "SELECT id FROM conversations ORDER BY updated DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def get(self, cid: str) -> StoredConversation:
        row = self._db.execute(
            "SELECT id, system, created, updated, model FROM conversations WHERE id = ?", (cid,)
        ).fetchone()
        if row is None:
            raise LiminalError(
                ErrorCode.INVALID_REQUEST,
                f"no conversation {cid!r}",
                hint="see `liminal conversations list`",
            )
        rows = self._db.execute(
            "SELECT id, role, content, model, status, input_tokens, output_tokens, created,"
            " writer, prompt_estimate FROM messages WHERE conversation_id = ? ORDER BY id",
            (cid,),
        ).fetchall()
        messages = tuple(
            StoredMessage(
                r[0],
                Role(r[1]),
                r[2],
                r[3],
                _status(r[4], r[8]),
                Usage(r[5], r[6]) if r[5] is not None and r[6] is not None else None,
                r[7],
                r[9],
            )
            for r in rows
        )
        return StoredConversation(row[0], row[1], row[2], row[3], messages, row[4])

    def history(self, cid: str) -> list[Message]:
        """The turns to send again (see :func:`sendable`)."""
        return sendable(self.get(cid).messages)

    def list(
        self, limit: int = 50, *, query: str | None = None, model: str | None = None
    ) -> list[tuple[str, float, int, str]]:
        """(id, updated, message count, first user text) newest first; ``query``: only those
        with a message containing it (case-insensitive); ``model``: only those a model
        answered in (or that it is set to)."""
        where, args = [], []
        if query:
            where.append(
                "c.id IN (SELECT conversation_id FROM messages WHERE instr(lower(content), ?))"
            )
            args.append(query.lower())
        if model:
            where.append(
                "(c.model = ? OR c.id IN (SELECT conversation_id FROM messages WHERE model = ?))"
            )
            args += [model, model]
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.execute(
            "SELECT c.id, c.updated, COUNT(m.id),"
            " (SELECT content FROM messages WHERE conversation_id = c.id AND role = 'user'"
            "  ORDER BY id LIMIT 1)"
            f" FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id {condition}"
            " GROUP BY c.id ORDER BY c.updated DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [(r[0], r[1], r[2], r[3] or "") for r in rows]

    def delete(self, cid: str) -> None:
        """Forget conversation ``cid`` and its messages (INVALID_REQUEST when unknown)."""
        self.get(cid)
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM messages WHERE conversation_id = ?", (cid,))
        self._db.execute("DELETE FROM conversations WHERE id = ?", (cid,))
        self._db.execute("COMMIT")


def sendable(messages: Iterable[StoredMessage]) -> list[Message]:
    """The turns to send again: every user turn and every answer text received, but not a
    user turn that failed (its answer never came: sending it again fails again)."""
    return [
        m.as_message()
        for m in messages
        if m.content and not (m.role is Role.USER and m.status == "failed")
    ]


def _status(status: str, writer: int | None) -> str:
    """``streaming`` only while its writer lives; a killed writer's answer is interrupted."""
    if status != "streaming" or writer == os.getpid():
        return status
    if writer is None:  # written before writers were recorded: that process is long gone
        return "interrupted"
    try:
        os.kill(writer, 0)
    except ProcessLookupError:
        return "interrupted"
    except PermissionError:
        pass  # alive, someone else's
    return status
