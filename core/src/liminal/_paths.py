"""Where Liminal keeps its files. ``LIMINAL_HOME`` overrides both directories."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["config_dir", "data_dir"]

APP_NAME = "liminal"


def _home() -> Path | None:
    """``LIMINAL_HOME``, checked: it (or the first part of it that exists) is a directory."""
    home = os.environ.get("LIMINAL_HOME")
    if not home:
        return None
    path = Path(home)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        from liminal.errors import ErrorCode, LiminalError

        if existing == path:
            problem = "is not a directory"
        else:
            problem = f"cannot be created: {existing} is not a directory"
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"LIMINAL_HOME {path} {problem}",
            hint="point LIMINAL_HOME at a directory (it is created when missing), or unset it",
        )
    return path


def config_dir() -> Path:
    """The user config dir (preferences, key file, compatible endpoints)."""
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The user data dir (the conversation store)."""
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))
