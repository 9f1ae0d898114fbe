"""The stored key file: JSON through the cattrs converter, 0600, written atomically.

A file with wider permissions or that does not parse is reported with a
clear error and never overwritten silently.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import attrs

from liminal._files import CachedFile, LookedAt
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.secret import Secret

__all__ = ["KeyFile", "KeyFileData", "StoredKey"]

FILE_NAME = "keys.json"
#: Labels name keys on the command line: short, no spaces, no shell metacharacters.
LABEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DEFAULT_LABEL = "default"


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


def check_label(label: str) -> str:
    """``label`` if it is a usable key label, else an INVALID_REQUEST error."""
    if not LABEL_PATTERN.fullmatch(label):
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{label!r} is not a valid key label",
            hint="use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return label


class KeyFile(CachedFile[KeyFileData]):
    """Reads and writes the key file; re-reads only when the file changed (``max_age`` and
    ``clock``: see :class:`~liminal._files.CachedFile`)."""

    _looked_at: ClassVar[LookedAt[KeyFileData]] = LookedAt()

    @classmethod
    def default(cls) -> KeyFile:
        from liminal._paths import config_dir

        return cls(config_dir() / FILE_NAME)

    def read(self) -> KeyFileData:
        return self._look(missing=KeyFileData, parse=self._parse, check=self._check_file)

    def _check_file(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise _error(self.path, "is not a regular file", "move it aside; it was left untouched")
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise _error(
                self.path,
                f"permissions {stat.S_IMODE(st.st_mode):o} are too open (it holds API keys)",
                f"run `chmod 600 {self.path}`",
            )

    def _parse(self) -> KeyFileData:
        from liminal._serialize import structure

        try:
            data = structure(json.loads(self.path.read_text(encoding="utf-8")), KeyFileData)
        except (ValueError, TypeError, KeyError, Exception) as exc:
            raise _error(
                self.path,
                "is not a valid key file",
                "fix or move the file aside; it was left untouched",
            ) from exc
        _check_values(self.path, data)
        return data

    def write(self, data: KeyFileData) -> None:
        from liminal._files import write_atomically
        from liminal._serialize import to_json

        # A symlinked key file (a dotfiles repository) is written through the link: replacing
        # the link with a file would let the two copies drift apart unseen.
        target = self.path.resolve() if self.path.is_symlink() else self.path
        own_dir = target == self.path
        write_atomically(target, to_json(data) + "\n", mode=0o600, own_dir=own_dir)
        self._looked_at.forget(self.path)

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

    # -- changes (each one read-change-write under a lock; a bad file is never replaced) ----

    def update(self, change: Callable[[KeyFileData], KeyFileData]) -> KeyFileData:
        """Apply ``change`` to the file's current data and write the result if it differs."""
        from liminal._files import locked

        with locked(self.path.with_name(f".{self.path.name}.lock")):
            self._looked_at.forget(self.path)
            data = self.read()  # raises on a bad file, before anything is written
            changed = change(data)
            if changed != data:
                self.write(changed)
            return changed

    def set_key(self, provider: str, label: str, secret: Secret, *, activate: bool = True) -> None:
        """Store ``secret`` under ``label`` (replacing a key of that label); with
        ``activate`` (or when the provider had no key) it becomes the one used first."""
        self._store(provider, label, secret, activate=activate, replace=True)

    def add_key(self, provider: str, label: str, secret: Secret) -> None:
        """Add a key to the pool under a new ``label``; the key used first does not change."""
        self._store(provider, label, secret, activate=False, replace=False)

    def _store(
        self, provider: str, label: str, secret: Secret, *, activate: bool, replace: bool
    ) -> None:
        check_label(label)

        def change(data: KeyFileData) -> KeyFileData:
            current = data.providers.get(provider, ProviderKeys())
            stored = StoredKey(label, secret.reveal())
            labels = [k.label for k in current.keys]
            if label in labels and not replace:
                raise _label_taken(provider, label)
            if label in labels:
                keys = tuple(stored if k.label == label else k for k in current.keys)
            else:
                keys = (*current.keys, stored)
            if activate:
                active: str | None = label
            elif current.active in labels:
                active = current.active
            else:  # no active label yet: the first key stays the one used first
                active = labels[0] if labels else label
            providers = {**data.providers, provider: ProviderKeys(keys, active)}
            return attrs.evolve(data, providers=providers)

        self.update(change)

    def check_new_label(self, provider: str, label: str) -> None:
        """Raise INVALID_REQUEST when ``provider`` already has a key labelled ``label``."""
        if label in self.labels(provider):
            raise _label_taken(provider, label)

    def labels(self, provider: str) -> list[str]:
        """The stored labels of ``provider``, in file order."""
        entry = self.read().providers.get(provider)
        return [k.label for k in entry.keys] if entry else []

    def rotate(self, provider: str) -> str:
        """Make the key after the active one (in file order) active; return its label."""
        chosen: list[str] = []

        def change(data: KeyFileData) -> KeyFileData:
            entry = data.providers.get(provider)
            if entry is None or not entry.keys:
                raise _no_stored_key(provider)
            labels = [k.label for k in entry.keys]
            current = labels.index(entry.active) if entry.active in labels else 0
            chosen.append(labels[(current + 1) % len(labels)])
            providers = {**data.providers, provider: attrs.evolve(entry, active=chosen[0])}
            return attrs.evolve(data, providers=providers)

        self.update(change)
        return chosen[0]

    def remove(self, provider: str, label: str | None = None) -> list[str]:
        """Remove one stored key (``label``) or all of ``provider``'s; return the labels removed.

        Removing the active key makes the one after it active."""
        removed: list[str] = []

        def change(data: KeyFileData) -> KeyFileData:
            entry = data.providers.get(provider)
            labels = [k.label for k in entry.keys] if entry else []
            if entry is None or not labels:
                raise _no_stored_key(provider)
            if label is not None and label not in labels:
                raise LiminalError(
                    ErrorCode.INVALID_REQUEST,
                    f"{provider} has no stored key labelled {label!r}",
                    hint=f"its stored labels: {', '.join(labels)}",
                )
            removed[:] = labels if label is None else [label]
            providers = dict(data.providers)
            kept = tuple(k for k in entry.keys if k.label not in removed)
            if not kept:
                del providers[provider]
                return attrs.evolve(data, providers=providers)
            start = labels.index(entry.active) if entry.active in labels else 0
            in_turn = labels[start:] + labels[:start]  # the active key, then the ones after it
            active = next(x for x in in_turn if x not in removed)
            providers[provider] = ProviderKeys(kept, active)
            return attrs.evolve(data, providers=providers)

        self.update(change)
        return removed


def _check_values(path: Path, data: KeyFileData) -> None:
    """A stored key is one word: an empty one, or one with a line break or a space inside,
    would be sent as is (and fail as a network error), so it is refused here, by label."""
    for provider, entry in data.providers.items():
        for key in entry.keys:
            value = key.value.strip()
            problem = (
                "is empty"
                if not value
                else "contains a line break, a space or a control character"
                if any(c.isspace() or not c.isprintable() for c in value)
                else None
            )
            if problem:
                raise _error(
                    path,
                    f"the {provider} key {key.label!r} {problem}",
                    "edit that entry in the file (or remove it) so it holds one key on one "
                    "line; it was left untouched",
                )


def _no_stored_key(provider: str) -> LiminalError:
    return LiminalError(
        ErrorCode.NO_KEY,
        f"no stored key for {provider}",
        hint=f"add one with `liminal keys set {provider}`; `liminal keys list` shows all keys",
    )


def _label_taken(provider: str, label: str) -> LiminalError:
    return LiminalError(
        ErrorCode.INVALID_REQUEST,
        f"{provider} already has a key labelled {label!r}",
        hint=f"replace it with `liminal keys set {provider} --label {label}` or pick another label",
    )
