"""Where Liminal keeps its files. ``LIMINAL_HOME`` overrides both directories."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["config_dir", "data_dir"]

APP_NAME = "liminal"


def config_dir() -> Path:
    """The user config dir (preferences, key file, compatible endpoints)."""
    home = os.environ.get("LIMINAL_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The user data dir (the conversation store)."""
    home = os.environ.get("LIMINAL_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))
