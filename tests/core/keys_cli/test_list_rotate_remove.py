"""``liminal keys list``, ``rotate``, ``remove`` and ``path``."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from liminal import Secret
from liminal.keys.file import KeyFile
from liminal.keys.pool import ApiKeyManager

from .helpers import (
    BACKUP,
    KEY,
    entry,
    key_file,
    liminal,
    listed,
)

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
