"""User preferences (the default model), persisted as JSON in the config dir."""

from __future__ import annotations

from pathlib import Path

import attrs

from liminal.files import UserFile

__all__ = ["Preferences", "load_preferences", "preferences_path", "save_preferences"]


@attrs.frozen
class Preferences:
    default_model: str | None = None


def preferences_path() -> Path:
    from liminal.paths import config_dir

    return config_dir() / "preferences.json"


def _file(path: Path | None) -> UserFile[Preferences]:
    return UserFile(path or preferences_path(), Preferences, what="preferences file")


def load_preferences(path: Path | None = None) -> Preferences:
    return _file(path).load()


def save_preferences(preferences: Preferences, path: Path | None = None) -> None:
    _file(path).save(preferences)
