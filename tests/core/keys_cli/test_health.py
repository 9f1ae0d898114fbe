"""Key health across processes (the key state file), and rotation at runtime."""

from __future__ import annotations

import contextlib
import json
import re
import stat
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest

from liminal import ChatRequest, Message, Role, Secret
from liminal.factory import LlmServiceFactory
from liminal.keys.file import KeyFile, KeyFileData, ProviderKeys, StoredKey
from liminal.keys.health import KeyState
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal_openai.service import OpenAIService

from .helpers import (
    BACKUP,
    KEY,
    MODEL,
    entry,
    key_file,
    liminal,
    listed,
)

if TYPE_CHECKING:
    from support.faults import Faults

# -- health across processes (the key state file) ---------------------------------------------


def test_invalid_mark_is_seen_by_a_later_manager_and_list(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    later = ApiKeyManager()
    # Another process's verdict: tried last, not dropped (a wrong verdict heals itself).
    assert [e.label for e in later.candidates("openai")] == ["backup", "default"]
    assert later.is_invalid(entry("default", KEY))
    assert [(r["label"], r["status"], r["reason"]) for r in listed()] == [
        ("default", "invalid", "AUTH_INVALID"),
        ("backup", "ready", None),
    ]


def test_a_new_value_under_the_same_label_starts_healthy(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    # Changed behind liminal's back (an editor, a sync tool): the fingerprint no longer matches.
    KeyFile(key_file(liminal_home)).write(
        KeyFileData(providers={"openai": ProviderKeys((StoredKey("default", BACKUP),))})
    )
    assert listed()[0]["status"] == "ready"


def test_set_again_clears_the_mark_even_for_the_same_value(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    assert listed()[0]["status"] == "invalid"
    liminal("keys", "set", "openai", "--value", KEY)
    assert listed()[0]["status"] == "ready"


def test_cool_down_is_seen_by_a_later_manager(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    ApiKeyManager().cool_down(entry("default", KEY), 120, "RATE_LIMITED")
    assert [e.label for e in ApiKeyManager().candidates("openai")] == ["backup", "default"]
    row = listed()[0]
    assert (row["label"], row["status"], row["reason"]) == ("default", "cooling", "RATE_LIMITED")
    assert isinstance(row["cooling_seconds"], float)
    assert 100 < row["cooling_seconds"] <= 120
    text = liminal("keys", "list").out
    assert "cooling (2 min left), RATE_LIMITED" in text


def test_state_file_holds_no_key_and_is_private(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    path = KeyState.default().path
    assert path.parent == liminal_home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert KEY not in text
    assert KEY[:-4] not in text
    data = json.loads(text)
    assert len(data["salt"]) == 32
    (mark,) = data["marks"]
    assert mark["last4"] == "abcd"
    assert re.fullmatch(r"[0-9a-f]{16}", mark["fingerprint"])


def test_fingerprints_differ_between_installs(tmp_path: Path) -> None:
    one, two = KeyState(tmp_path / "one.json"), KeyState(tmp_path / "two.json")
    for state in (one, two):
        state.record_invalid(entry("default", KEY))
    assert one.read().marks[0].fingerprint != two.read().marks[0].fingerprint


def test_an_unreadable_state_file_is_reported_and_not_overwritten(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    path = KeyState.default().path
    path.write_text("not json")
    ApiKeyManager().mark_invalid(entry("default", KEY))  # must not raise
    assert path.read_text() == "not json"
    result = liminal("keys", "list")
    assert result.code == 0
    assert "Warning: key state file" in result.err
    assert result.out.splitlines()[1].split()[-1] == "ready"


def test_concurrent_changes_are_not_lost(liminal_home: Path) -> None:
    key_file = KeyFile(liminal_home / "keys.json")
    state = KeyState(liminal_home / "key-state.json")
    labels = [f"k{i}" for i in range(8)]

    def add(label: str) -> None:
        key_file.add_key("openai", label, Secret(f"{KEY}-{label}"))
        state.record_invalid(entry(label, f"{KEY}-{label}"))

    with ThreadPoolExecutor(max_workers=len(labels)) as pool:
        list(pool.map(add, labels))
    assert sorted(key_file.labels("openai")) == labels
    assert sorted(m.label for m in state.read().marks) == labels


def test_a_key_file_change_is_used_on_the_next_lookup(liminal_home: Path) -> None:
    manager = ApiKeyManager()
    liminal("keys", "set", "openai", "--value", KEY)
    assert manager.candidates("openai")[0].secret == Secret(KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    liminal("keys", "rotate", "openai")
    assert manager.candidates("openai")[0].secret == Secret(BACKUP)
    liminal("keys", "remove", "openai", "--label", "backup")
    assert [e.secret for e in manager.candidates("openai")] == [Secret(KEY)]


def test_in_process_invalid_mark_is_lifted_by_a_new_value(liminal_home: Path) -> None:
    manager = ApiKeyManager()
    liminal("keys", "set", "openai", "--value", KEY)
    manager.mark_invalid(manager.candidates("openai")[0])
    assert manager.candidates("openai") == []
    liminal("keys", "set", "openai", "--value", BACKUP)  # from "another terminal"
    assert [e.secret for e in manager.candidates("openai")] == [Secret(BACKUP)]


# -- runtime rotation and cool-down through the managed service (fault server) ----------------


def ask() -> ChatRequest:
    return ChatRequest(MODEL, (Message(Role.USER, "Say hi."),), parameters={"max_tokens": 4})


@contextlib.asynccontextmanager
async def openai_service(keys: ApiKeyManager | None = None) -> AsyncIterator[ManagedService]:
    """The managed OpenAI service on an HTTP client this test closes."""
    managed = LlmServiceFactory(keys=keys or ApiKeyManager()).for_model(MODEL)
    async with httpx2.AsyncClient() as http:
        managed.service = OpenAIService(managed.service.context, http_client=http)  # type: ignore[attr-defined]
        yield managed


@pytest.mark.integration
async def test_rejected_key_is_skipped_now_and_in_later_processes(
    liminal_home: Path, openai_at_faults: Faults
) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    openai_at_faults.error(401, times=1)
    async with openai_service() as service:
        assert (await service.complete(ask())).text
    assert openai_at_faults.requests("/v1/chat/completions") == 2
    assert [(r["label"], r["status"]) for r in listed()] == [
        ("default", "invalid"),
        ("backup", "ready"),
    ]
    # A new manager (as in a later process) goes straight to the healthy key.
    async with openai_service() as later:
        await later.complete(ask())
    assert openai_at_faults.requests("/v1/chat/completions") == 3


@pytest.mark.integration
@pytest.mark.parametrize(
    ("script", "reason", "at_least"),
    [
        (lambda f: f.rate_limit(30), "RATE_LIMITED", 25),
        (lambda f: f.insufficient_quota(), "QUOTA_EXHAUSTED", 3000),
    ],
    ids=["rate-limited", "quota"],
)
async def test_limited_key_cools_down_and_the_next_key_serves(
    liminal_home: Path, openai_at_faults: Faults, script: object, reason: str, at_least: float
) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    script(openai_at_faults)  # type: ignore[operator]
    async with openai_service() as service:
        assert (await service.complete(ask())).text
    assert openai_at_faults.requests("/v1/chat/completions") == 2
    first = listed()[0]
    assert (first["label"], first["status"], first["reason"]) == ("default", "cooling", reason)
    assert isinstance(first["cooling_seconds"], float)
    assert first["cooling_seconds"] > at_least
    assert [e.label for e in ApiKeyManager().candidates("openai")] == ["backup", "default"]


@pytest.mark.integration
async def test_success_with_a_key_marked_invalid_elsewhere_lifts_the_mark(
    liminal_home: Path, openai_at_faults: Faults
) -> None:

    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    async with openai_service() as service:
        assert (await service.complete(ask())).text  # tried last, but tried
    assert listed()[0]["status"] == "ready"
