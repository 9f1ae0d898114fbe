"""``liminal keys``: set, add, list, check, rotate, remove, path, and key health across runs.

Most tests run the CLI in-process through ``liminal.cli.main`` (exit codes and error lines as
a user sees them). Tests marked ``integration`` talk to the fault server (llmock) on 127.0.0.1;
the leak test runs a whole session through the real console script.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import httpx2
import pytest
from click.testing import CliRunner

from liminal import ChatRequest, Message, Role, Secret
from liminal.cli import main
from liminal.client import ManagedService
from liminal.factory import LlmServiceFactory
from liminal.keyfile import KeyFile, KeyFileData, ProviderKeys, StoredKey
from liminal.keys import ApiKeyManager, KeyEntry, KeySource
from liminal.keystate import KeyState
from liminal.plugins import reset_plugins
from liminal_openai.service import OpenAIService

if TYPE_CHECKING:
    from faults import Faults

KEY = "sk-test-liminal-key-0001-abcd"
BACKUP = "sk-test-liminal-key-0002-wxyz"
MODEL = "gpt-4.1-mini"


#: Only the real provider plugins: fixture plugins other tests install must not add noise.
PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


@pytest.fixture(autouse=True)
def only_provider_plugins(liminal_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIMINAL_PLUGINS", PLUGINS)


class Ran(NamedTuple):
    code: int
    out: str
    err: str


def liminal(*args: str, input: str | None = None) -> Ran:
    """Run ``liminal ARGS`` in this process, as the console script would."""
    code = 0
    with CliRunner().isolation(input=input) as (out, err, _):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return Ran(code, out.getvalue().decode(), err.getvalue().decode())


def key_file(home: Path) -> Path:
    return home / "keys.json"


def stored(home: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(key_file(home).read_text())
    return data


def listed(provider: str = "openai") -> list[dict[str, object]]:
    result = liminal("keys", "list", "--json")
    assert result.code == 0, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return [row for row in rows if row["provider"] == provider]


def entry(label: str, value: str, provider: str = "openai") -> KeyEntry:
    return KeyEntry(provider, label, Secret(value), KeySource.FILE)


# -- set --------------------------------------------------------------------------------------


def test_set_from_stdin_stores_the_key_0600(liminal_home: Path) -> None:
    result = liminal("keys", "set", "openai", input=KEY)
    assert result.code == 0, result.err
    assert KEY not in result.out + result.err
    assert "…abcd" in result.out
    path = key_file(liminal_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stored(liminal_home)["providers"] == {
        "openai": {"keys": [{"label": "default", "value": KEY}], "active": "default"}
    }


def test_set_with_value_and_label(liminal_home: Path) -> None:
    result = liminal("keys", "set", "openai", "--label", "work", "--value", KEY)
    assert result.code == 0, result.err
    assert [row["label"] for row in listed()] == ["work"]


def test_set_from_a_hidden_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("liminal.cli.keys._stdin_is_tty", lambda: True)
    result = liminal("keys", "set", "openai", input=KEY + "\n")
    assert result.code == 0, result.err
    assert "API key for OpenAI" in result.err
    assert KEY not in result.out + result.err  # hidden: not echoed
    assert ApiKeyManager().all_entries("openai")[0].secret == Secret(KEY)


def test_set_makes_the_new_key_active_and_keeps_the_others(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    liminal("keys", "set", "openai", "--label", "backup", "--value", BACKUP)
    rows = listed()
    assert [(r["label"], r["active"]) for r in rows] == [("backup", True), ("default", False)]


def test_set_replaces_a_key_of_the_same_label(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "set", "openai", "--value", BACKUP)
    assert [(r["label"], r["last4"]) for r in listed()] == [("default", "wxyz")]


@pytest.mark.parametrize("given", ["", "   \n", "two words", "one\ntwo\n"])
def test_set_rejects_what_is_not_one_key(liminal_home: Path, given: str) -> None:
    result = liminal("keys", "set", "openai", input=given)
    assert result.code == 2
    assert result.err.startswith("Error [INVALID_REQUEST]: ")
    assert not key_file(liminal_home).exists()


def test_set_for_an_unknown_provider_names_the_closest(liminal_home: Path) -> None:
    result = liminal("keys", "set", "opnai", "--value", KEY)
    assert result.code == 2
    assert result.err.startswith("Error [MODEL_NOT_FOUND]: unknown provider 'opnai'")
    assert "openai" in result.err
    assert not key_file(liminal_home).exists()


def test_a_provider_without_keys_takes_none(liminal_home: Path) -> None:
    result = liminal("keys", "set", "local", "--value", KEY)
    assert result.code == 2
    assert "needs no API key" in result.err


def test_a_model_on_its_own_server_has_its_own_pool(liminal_home: Path) -> None:
    added = liminal(
        "openai",
        "add-model",
        "qwen",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--key-env",
        "QWEN_KEY",
    )
    assert added.code == 0, added.err
    reset_plugins()  # a new process would see the new model
    result = liminal("keys", "set", "openai:qwen", "--value", KEY)
    assert result.code == 0, result.err
    assert [r["label"] for r in listed("openai:qwen")] == ["default"]
    assert listed() == []  # the provider's own pool is untouched
    checked = liminal("keys", "check", "openai:qwen")
    assert checked.code == 0
    assert "not checked" in checked.out
    refused = liminal("keys", "set", f"openai:{MODEL}", "--value", KEY)
    assert refused.code == 2
    assert "is not a model on a server of its own; it uses OpenAI's keys" in refused.err


@pytest.mark.parametrize("label", ["", "has space", "-dash", "x" * 65, "a/b"])
def test_bad_labels_are_refused(liminal_home: Path, label: str) -> None:
    result = liminal("keys", "set", "openai", "--label", label, "--value", KEY)
    assert result.code == 2
    assert "is not a valid key label" in result.err


# -- a key file that is not ours to overwrite -------------------------------------------------


def test_malformed_key_file_is_an_error_and_left_untouched(liminal_home: Path) -> None:
    liminal_home.mkdir(parents=True)
    path = key_file(liminal_home)
    path.write_text('{"version": 1, "providers": {')
    path.chmod(0o600)
    before = path.read_bytes()
    for args in (("keys", "set", "openai", "--value", KEY), ("keys", "list")):
        result = liminal(*args)
        assert result.code == 2, args
        assert result.err.startswith(f"Error [INVALID_REQUEST]: key file {path}")
        assert "Hint: " in result.err
        assert "Traceback" not in result.err
    assert path.read_bytes() == before


def test_key_file_readable_by_others_is_refused_and_left_untouched(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    path = key_file(liminal_home)
    path.chmod(0o644)
    before = path.read_bytes()
    result = liminal("keys", "set", "openai", "--value", BACKUP)
    assert result.code == 2
    assert "permissions 644 are too open" in result.err
    assert f"chmod 600 {path}" in result.err
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


# -- add --------------------------------------------------------------------------------------


def test_add_grows_the_pool_without_changing_the_active_key(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    result = liminal("keys", "add", "openai", "--label", "backup", input=BACKUP)
    assert result.code == 0, result.err
    assert "2 stored keys" in result.out
    rows = listed()
    assert [(r["label"], r["last4"], r["active"]) for r in rows] == [
        ("default", "abcd", True),
        ("backup", "wxyz", False),
    ]


def test_add_to_an_empty_pool_makes_the_key_active(liminal_home: Path) -> None:
    liminal("keys", "add", "openai", "--label", "first", "--value", KEY)
    assert [(r["label"], r["active"]) for r in listed()] == [("first", True)]


def test_add_refuses_a_label_in_use_before_asking_for_the_key(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    before = key_file(liminal_home).read_bytes()
    result = liminal("keys", "add", "openai", "--label", "default", input=BACKUP)
    assert result.code == 2
    assert "already has a key labelled 'default'" in result.err
    assert "keys set openai --label default" in result.err
    assert key_file(liminal_home).read_bytes() == before


def test_add_needs_a_label() -> None:
    result = liminal("keys", "add", "openai", "--value", KEY)
    assert result.code == 2
    assert "--label" in result.err


# -- list -------------------------------------------------------------------------------------


def test_list_shows_only_the_last_four_characters(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_key = "sk-test-from-the-environment-5555"
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    liminal("keys", "set", "openai", "--value", KEY)
    result = liminal("keys", "list")
    assert result.code == 0, result.err
    assert KEY not in result.out
    assert env_key not in result.out
    lines = result.out.splitlines()
    assert lines[0].split() == ["PROVIDER", "LABEL", "KEY", "SOURCE", "STATUS"]
    assert lines[1].split() == ["openai", "default*", "…abcd", "file", "ready"]
    assert lines[2].split() == ["openai", "OPENAI_API_KEY", "…5555", "env", "ready"]
    as_json = liminal("keys", "list", "--json")
    assert KEY not in as_json.out
    assert env_key not in as_json.out
    assert json.loads(as_json.out) == [
        {
            "provider": "openai",
            "label": "default",
            "last4": "abcd",
            "source": "file",
            "status": "ready",
            "active": True,
            "cooling_seconds": None,
            "reason": None,
        },
        {
            "provider": "openai",
            "label": "OPENAI_API_KEY",
            "last4": "5555",
            "source": "env",
            "status": "ready",
            "active": False,
            "cooling_seconds": None,
            "reason": None,
        },
    ]


def test_short_keys_show_no_characters(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", "K1short")
    result = liminal("keys", "list")
    assert "K1short" not in result.out
    assert "hort" not in result.out
    assert listed()[0]["last4"] is None


def test_list_without_keys(liminal_home: Path) -> None:
    result = liminal("keys", "list")
    assert result.code == 0
    assert "No API keys" in result.out
    assert liminal("keys", "list", "--json").out.strip() == "[]"


def test_list_shows_stored_keys_of_a_provider_that_is_not_installed(liminal_home: Path) -> None:
    KeyFile(key_file(liminal_home)).set_key("elsewhere", "default", Secret(KEY))
    assert [(r["label"], r["source"]) for r in listed("elsewhere")] == [("default", "file")]


# -- rotate, remove, path ---------------------------------------------------------------------


def test_rotate_moves_to_the_next_key_and_wraps(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    result = liminal("keys", "rotate", "openai")
    assert result.code == 0, result.err
    assert "now uses key 'backup' (…wxyz) first" in result.out
    assert [r["label"] for r in listed()] == ["backup", "default"]
    assert ApiKeyManager().candidates("openai")[0].secret == Secret(BACKUP)
    liminal("keys", "rotate", "openai")
    assert [r["label"] for r in listed()] == ["default", "backup"]


def test_rotate_warns_when_the_next_key_was_rejected(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    ApiKeyManager().mark_invalid(entry("backup", BACKUP))
    result = liminal("keys", "rotate", "openai")
    assert result.code == 0
    assert "was rejected earlier" in result.err


def test_rotate_without_stored_keys_is_no_key() -> None:
    result = liminal("keys", "rotate", "openai")
    assert result.code == 3
    assert result.err.startswith("Error [NO_KEY]: no stored key for openai")


def test_remove_one_label_makes_the_next_key_active(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    result = liminal("keys", "remove", "openai", "--label", "default")
    assert result.code == 0, result.err
    assert [(r["label"], r["active"]) for r in listed()] == [("backup", True)]


def test_remove_all_keys_of_a_provider(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    liminal("keys", "set", "anthropic", "--value", KEY)
    result = liminal("keys", "remove", "openai")
    assert result.code == 0, result.err
    assert "Removed 2 keys of openai" in result.out
    assert listed() == []
    assert len(listed("anthropic")) == 1
    assert KEY in key_file(liminal_home).read_text()  # anthropic's copy


def test_remove_an_unknown_label(liminal_home: Path) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    result = liminal("keys", "remove", "openai", "--label", "nope")
    assert result.code == 2
    assert "stored labels: default" in result.err


def test_remove_a_key_that_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = liminal("keys", "remove", "openai")
    assert result.code == 3
    assert "comes from OPENAI_API_KEY" in result.err
    assert os.environ["OPENAI_API_KEY"] == KEY


def test_path_is_in_liminal_home(liminal_home: Path) -> None:
    result = liminal("keys", "path")
    assert result.code == 0
    assert result.out.strip() == str(key_file(liminal_home))


def test_keys_is_a_builtin_command() -> None:
    result = liminal("--help")
    assert re.search(r"^\s+keys\s", result.out, re.MULTILINE)


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


# -- check (fault server: llama-server accepts any key on /v1/models) --------------------------


@pytest.fixture
def openai_at_faults(faults: Faults, monkeypatch: pytest.MonkeyPatch) -> Faults:
    monkeypatch.setenv("OPENAI_BASE_URL", faults.base_url)
    return faults


@pytest.mark.integration
def test_check_reports_invalid_with_a_fix_and_exits_3(
    liminal_home: Path, openai_at_faults: Faults
) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    openai_at_faults.error(401, times=1)  # the first key checked is rejected
    result = liminal("keys", "check", "openai")
    assert result.code == 3
    assert KEY not in result.out + result.err
    assert BACKUP not in result.out + result.err
    rows = {line.split()[1]: line.split()[-1] for line in result.out.splitlines()[1:3]}
    results = sorted(rows.values())
    assert results == ["INVALID", "VALID"]
    rejected = next(label for label, outcome in rows.items() if outcome == "INVALID")
    assert f"keys set openai --label {rejected}" in result.out
    assert f"keys remove openai --label {rejected}" in result.out
    assert result.err.startswith(
        f"Error [AUTH_INVALID]: 1 of 2 keys were rejected: openai/{rejected}"
    )
    statuses = {r["label"]: r["status"] for r in listed()}
    assert statuses[rejected] == "invalid"
    assert openai_at_faults.requests("/v1/models") == 2


@pytest.mark.integration
def test_check_valid_lifts_an_invalid_mark(liminal_home: Path, openai_at_faults: Faults) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    result = liminal("keys", "check", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [
        {
            "provider": "openai",
            "label": "default",
            "last4": "abcd",
            "source": "file",
            "result": "valid",
            "detail": None,
        }
    ]
    assert listed()[0]["status"] == "ready"


@pytest.mark.integration
def test_check_json_invalid(liminal_home: Path, openai_at_faults: Faults) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    openai_at_faults.error(401, times=1)
    result = liminal("keys", "check", "openai", "--json")
    assert result.code == 3
    (row,) = json.loads(result.out)
    assert row["result"] == "invalid"
    assert "keys set openai --label default" in row["detail"]


def test_check_network_trouble_is_unknown_and_never_blocks(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    liminal("keys", "set", "openai", "--value", KEY)
    result = liminal("keys", "check", "openai")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].split()[-1] == "UNKNOWN"
    assert "could not be reached" in result.out
    assert listed()[0]["status"] == "ready"


def test_check_without_keys_is_no_key() -> None:
    result = liminal("keys", "check", "openai")
    assert result.code == 3
    assert result.err.startswith("Error [NO_KEY]: no API key is configured for openai")


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


# -- no leaks: a whole session through the console script -------------------------------------


def _windows(secret: str, size: int = 10) -> set[str]:
    """Every ``size``-character piece of ``secret``: a partial leak is a leak too."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.mark.integration
def test_no_key_leaks_anywhere_in_a_full_session(
    liminal_home: Path, faults: Faults, tmp_path: Path
) -> None:
    # Not key-shaped (no sk- prefix): redact()'s pattern cannot hide a leak by accident.
    secret = "lmnl-LeakProbe-7f3a9c2e5b1d4e6f8a0b"
    spare = "lmnl-SpareProbe-0c1d2e3f4a5b6c7d8e9f"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(LIMINAL_HOME=str(liminal_home), OPENAI_BASE_URL=faults.base_url)
    env["LIMINAL_PLUGINS"] = PLUGINS
    env.pop("LIMINAL_DISABLE_PLUGINS", None)
    script = Path(sys.executable).with_name("liminal")
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, expect: int = 0) -> None:
        done = subprocess.run(
            [str(script), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        outputs.extend([done.stdout, done.stderr])
        assert done.returncode == expect, (args, done.stderr)

    prompt = ("prompt", "-m", MODEL, "-o", "max_tokens", "4")
    run("keys", "set", "openai", stdin=secret)
    run("keys", "add", "openai", "--label", "spare", stdin=spare)
    run(*prompt, "Say hi.")
    run("--debug", *prompt, "--json", "Say hi.")
    faults.error(401, times=2)  # both keys rejected: an error the user sees
    run(*prompt, "Say hi.", expect=3)
    faults.error(401, times=1)
    run("keys", "check", expect=3)
    faults.error(401, times=1)
    run("keys", "check", "--json", expect=3)
    faults.rate_limit(120, times=2)
    run(*prompt, "Say hi.", expect=4)
    run("keys", "list")
    run("keys", "list", "--json")
    run("keys", "rotate", "openai")
    run("keys", "remove", "openai", "--label", "spare")
    run("keys", "path")

    assert any("Error [AUTH_INVALID]" in text for text in outputs)
    assert any("…" + secret[-4:] in text for text in outputs)  # listed by its last four only
    key_path = key_file(liminal_home)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    files = [p for p in liminal_home.rglob("*") if p.is_file() and p != key_path]
    assert any(p.name == "key-state.json" for p in files)
    haystacks = outputs + [p.read_bytes().decode("utf-8", "replace") for p in files]
    for probe in _windows(secret) | _windows(spare):
        for text in haystacks:
            assert probe not in text
