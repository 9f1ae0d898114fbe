"""User preferences (the default model), persisted as JSON in the config dir."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from liminal.errors import ErrorCode, LiminalError

__all__ = ["Preferences", "load_preferences", "preferences_path", "save_preferences"]


@attrs.frozen
class Preferences:
    default_model: str | None = None


def preferences_path() -> Path:
    from liminal.paths import config_dir

    return config_dir() / "preferences.json"


def load_preferences(path: Path | None = None) -> Preferences:
    path = path or preferences_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Preferences()
    from liminal.serialize import structure

    try:
        return structure(json.loads(text), Preferences)
    except Exception as exc:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"preferences file {path} is not valid",
            hint="fix or delete it; it was left untouched",
        ) from exc


def save_preferences(preferences: Preferences, path: Path | None = None) -> None:
    from liminal.files import write_atomically
    from liminal.serialize import to_json

    write_atomically(path or preferences_path(), to_json(preferences) + "\n")
