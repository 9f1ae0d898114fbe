"""Preferences: JSON in the config dir, written atomically, never overwritten when bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.ui import (
    Preferences,
    load_preferences,
    preferences_path,
    save_preferences,
)


def test_path_follows_liminal_home(liminal_home: Path) -> None:
    assert preferences_path() == liminal_home / "preferences.json"


def test_missing_file_is_the_defaults() -> None:
    assert load_preferences() == Preferences()
    assert not preferences_path().exists()


def test_save_and_load(liminal_home: Path) -> None:
    save_preferences(Preferences(default_model="m-1"))
    path = liminal_home / "preferences.json"
    assert json.loads(path.read_text()) == {"default_model": "m-1"}
    assert load_preferences() == Preferences(default_model="m-1")
    assert sorted(p.name for p in liminal_home.iterdir()) == ["preferences.json"]


def test_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "prefs.json"
    save_preferences(Preferences(default_model="x"), path)
    assert load_preferences(path).default_model == "x"


@pytest.mark.parametrize("content", ["{", "not json", "", '{"default_model": "m'])
def test_invalid_file_is_an_error_and_left_untouched(liminal_home: Path, content: str) -> None:
    liminal_home.mkdir(parents=True)
    path = liminal_home / "preferences.json"
    path.write_text(content)
    with pytest.raises(LiminalError) as caught:
        load_preferences()
    error = caught.value
    assert error.code is ErrorCode.INVALID_REQUEST
    assert error.exit_code == 2
    assert str(path) in error.message
    assert "untouched" in (error.hint or "")
    assert path.read_text() == content
