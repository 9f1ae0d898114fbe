"""The stored key file: JSON through the cattrs converter, 0600, written atomically.

A file with wider permissions or that does not parse is reported with a
clear error and never overwritten silently.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import ClassVar

import attrs

from liminal.errors import ErrorCode, LiminalError
from liminal.keys import Secret

__all__ = ["KeyFile", "KeyFileData", "StoredKey"]

FILE_NAME = "keys.json"


@attrs.frozen
class StoredKey:
    label: str
    value: str


@attrs.frozen
class ProviderKeys:
    keys: tuple[StoredKey, ...] = ()
    #: The label used first; ``keys rotate`` moves it to the next key.
    active: str | None = None


@attrs.frozen
class KeyFileData:
    version: int = 1
    providers: dict[str, ProviderKeys] = attrs.field(factory=dict)


def _error(path: Path, message: str, hint: str) -> LiminalError:
    return LiminalError(ErrorCode.INVALID_REQUEST, f"key file {path}: {message}", hint=hint)


class KeyFile:
    """Reads and writes the key file; re-reads only when the file changed."""

    _cache: ClassVar[dict[Path, tuple[tuple[int, int], KeyFileData]]] = {}

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def default(cls) -> KeyFile:
        from liminal.paths import config_dir

        return cls(config_dir() / FILE_NAME)

    def read(self) -> KeyFileData:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return KeyFileData()
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise _error(
                self.path,
                f"permissions {stat.S_IMODE(st.st_mode):o} are too open (it holds API keys)",
                f"run `chmod 600 {self.path}`",
            )
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._cache.get(self.path)
        if cached and cached[0] == stamp:
            return cached[1]
        from liminal.serialize import structure

        try:
            data = structure(json.loads(self.path.read_text(encoding="utf-8")), KeyFileData)
        except (ValueError, TypeError, KeyError, Exception) as exc:
            raise _error(
                self.path,
                "is not a valid key file",
                "fix or move the file aside; it was left untouched",
            ) from exc
        self._cache[self.path] = (stamp, data)
        return data

    def write(self, data: KeyFileData) -> None:
        from liminal.files import write_atomically
        from liminal.serialize import to_json

        write_atomically(self.path, to_json(data) + "\n", mode=0o600)
        self._cache.pop(self.path, None)

    def pool(self, provider: str) -> list[tuple[str, Secret]]:
        """The provider's stored keys, the active one first."""
        entry = self.read().providers.get(provider)
        if entry is None:
            return []
        keys = list(entry.keys)
        labels = [k.label for k in keys]
        if entry.active in labels:
            start = labels.index(entry.active)
            keys = keys[start:] + keys[:start]
        return [(k.label, Secret(k.value)) for k in keys]
