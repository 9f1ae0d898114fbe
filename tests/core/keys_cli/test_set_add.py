"""``liminal keys set`` and ``keys add``, and a key file that is not ours to overwrite."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from liminal import Secret
from liminal.keys.pool import ApiKeyManager
from liminal.plugins import reset_plugins

from .helpers import (
    BACKUP,
    KEY,
    MODEL,
    key_file,
    liminal,
    listed,
    stored,
)

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
