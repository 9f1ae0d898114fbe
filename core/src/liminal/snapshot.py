"""A snapshot of the model registry, so ``liminal models list`` starts in a blink.

Building the registry imports every plugin and the attrs classes of their catalogs;
listing models needs none of that when nothing changed. The snapshot is the JSON form
of the registry plus what it depended on: installed packages (the mtimes of the
``sys.path`` directories, which change whenever pip adds or removes a distribution),
the plugins' own source files (editable installs), the JSON files of the config dir
(declared models, preferences), the plugin switches and the Python environment. Any
change, and the next ``models list`` rebuilds it. ``LIMINAL_NO_CACHE=1`` skips it.

This module imports only the standard library: it runs before anything heavy.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["build_snapshot", "load_snapshot", "save_snapshot", "snapshot_path"]

VERSION = 1
_ENV = ("LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS", "LIMINAL_HOME")


def snapshot_path() -> Path:
    from liminal._paths import data_dir

    return data_dir() / "cache" / "models.json"


def _stamp(path: str) -> list[Any]:
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_mtime_ns, st.st_size]


def _dir_stamps(directory: str, suffix: str = "") -> list[Any]:
    """Name, mtime and size of each file in ``directory`` (not recursive)."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        entries = []  # not there (yet): the same as empty
    stamps: list[Any] = [directory]
    for entry in entries:
        if entry.name.endswith(suffix) and entry.is_file():
            st = entry.stat()
            stamps.append([entry.name, st.st_mtime_ns, st.st_size])
    return stamps


def _key(source_dirs: list[str]) -> list[Any]:
    from liminal._paths import config_dir
    from liminal._version import __version__

    return [
        VERSION,
        __version__,
        sys.version,
        sys.prefix,  # the environment (python and python3 in it are the same)
        [os.environ.get(name) for name in _ENV],
        [_stamp(p) for p in sys.path if p],
        _dir_stamps(str(config_dir()), ".json"),  # declared models, preferences, config
        [_dir_stamps(d, ".py") for d in source_dirs],
    ]


def load_snapshot() -> dict[str, Any] | None:
    """The stored snapshot when everything it depended on is unchanged, else None."""
    if os.environ.get("LIMINAL_NO_CACHE", "") not in ("", "0"):
        return None
    try:
        data = json.loads(snapshot_path().read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return None
        # Compared through JSON so tuples and lists match.
        if json.loads(json.dumps(_key(data["sources"]))) != data["key"]:
            return None
        return data
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_snapshot() -> dict[str, Any]:
    """Load the plugins and take the snapshot (their warnings print as usual)."""
    from liminal._serialize import unstructure
    from liminal.plugins import DEFAULT_PLUGINS, get_plugins
    from liminal.ui import default_model

    loaded = get_plugins()
    models = list(loaded.models)
    default = default_model(loaded)
    sources = sorted(
        {
            str(Path(plugin.__file__).parent)  # type: ignore[attr-defined]
            for name, plugin in loaded.pm.list_name_plugin()
            if getattr(plugin, "__file__", None) and name not in DEFAULT_PLUGINS
        }
        | {str(Path(__file__).parent)}
    )
    return {
        "version": VERSION,
        "sources": sources,
        "key": json.loads(json.dumps(_key(sources))),
        "providers": [{"id": p.id, "display_name": p.display_name} for p in loaded.providers],
        "models": unstructure(models),
        "default": default.id if default else None,
        "warnings": [failure.warning for failure in loaded.failures],
    }


def save_snapshot(data: dict[str, Any]) -> None:
    """Store ``data``; a cache that cannot be written is simply not used."""
    from liminal._files import write_atomically
    from liminal.errors import LiminalError

    try:
        write_atomically(snapshot_path(), json.dumps(data) + "\n", durable=False)
    except (OSError, LiminalError):  # LiminalError: a directory that cannot be written
        pass
