"""Key health that outlives a process: INVALID marks and cool-downs, never key values.

``key-state.json`` in the data dir (0600, written atomically) files each mark
under provider, source and label, with a fingerprint of the key it was made
for: HMAC-SHA256 of the key under a random per-install salt kept in the same
file, cut to 16 hex digits, plus the last four characters that ``keys list``
shows anyway (only for keys of 12 characters or more). A label set to another
key no longer matches its fingerprint, so the old mark stops applying.

The file is a cache: when it cannot be read or written, health is kept in the
process only and a warning is logged; an unreadable file is never overwritten.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import attrs

from liminal._files import CachedFile, LookedAt
from liminal.errors import LiminalError
from liminal.keys.secret import Secret

if TYPE_CHECKING:
    from liminal.keys.pool import KeyEntry

__all__ = ["KeyHealth", "KeyMark", "KeyState", "KeyStateData", "shown_last4"]

FILE_NAME = "key-state.json"
#: Hex digits of the HMAC kept: enough to tell two keys apart, too few to test guesses offline.
FINGERPRINT_DIGITS = 16
#: Keys shorter than this show no characters at all (their last four would give too much away).
MIN_SHOWN_LENGTH = 12

log = logging.getLogger("liminal")


#: The longest rest a key is given: a ``Retry-After: 999999`` must not shelve it for days.
MAX_COOL_DOWN = 3600.0
#: How long a check result is kept in the file (the config's key_check_ttl reads within it).
CHECK_KEPT_SECONDS = 7 * 24 * 3600.0


def shown_last4(secret: Secret) -> str | None:
    """The last four characters of a key long enough to show them, else None."""
    value = secret.reveal()
    return value[-4:] if len(value) >= MIN_SHOWN_LENGTH else None


@attrs.frozen
class KeyMark:
    """What is known about one key: rejected since, resting until (Unix times)."""

    provider: str
    source: str
    label: str
    fingerprint: str
    last4: str | None = None
    invalid_since: float | None = None
    cool_until: float | None = None
    #: The error code behind the latest mark (AUTH_INVALID, RATE_LIMITED, ...).
    reason: str | None = None
    #: When the key was last checked with the provider (``keys check``, chat start-up).
    checked_at: float | None = None
    #: What that check said: valid, invalid or unknown.
    check_status: str | None = None

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.provider, self.source, self.label)

    def live(self, now: float, check_ttl: float = CHECK_KEPT_SECONDS) -> bool:
        """Still worth keeping: invalid, cooling down, or checked recently."""
        return (
            self.invalid_since is not None
            or (self.cool_until or 0.0) > now
            or (self.checked_at is not None and now - self.checked_at < check_ttl)
        )


@attrs.frozen
class KeyStateData:
    version: int = 1
    #: Per-install random salt (hex) of the fingerprints; made on the first write.
    salt: str = ""
    marks: tuple[KeyMark, ...] = ()


@attrs.frozen
class KeyHealth:
    """A key's health as the CLI and the key manager see it."""

    invalid: bool = False
    cooling_seconds: float = 0.0
    reason: str | None = None

    @property
    def status(self) -> str:
        """``invalid``, ``cooling`` or ``ready``."""
        if self.invalid:
            return "invalid"
        return "cooling" if self.cooling_seconds > 0 else "ready"


def fingerprint(secret: Secret, salt: str) -> str:
    digest = hmac.new(salt.encode(), secret.reveal().encode(), hashlib.sha256).hexdigest()
    return digest[:FINGERPRINT_DIGITS]


class KeyState(CachedFile[KeyStateData | None]):
    """Reads and updates the key state file; re-reads only when the file changed
    (``max_age`` and ``clock``: see :class:`~liminal._files.CachedFile`)."""

    #: What the file held; None: it exists but cannot be used.
    _looked_at: ClassVar[LookedAt[KeyStateData | None]] = LookedAt()

    @classmethod
    def default(cls) -> KeyState:
        from liminal._paths import data_dir

        return cls(data_dir() / FILE_NAME)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    # -- reading -------------------------------------------------------------------------

    def _load(self) -> KeyStateData | None:
        """The file's data; empty when missing; None when it cannot be read or parsed."""
        try:
            return self._look(missing=KeyStateData, parse=self._parse)
        except OSError:
            return None

    def _parse(self) -> KeyStateData | None:
        from liminal._serialize import structure

        try:
            return structure(json.loads(self.path.read_text(encoding="utf-8")), KeyStateData)
        except Exception:  # any unusable content means "ignore the file"
            log.warning("%s is not a valid key state file; ignoring it", self.path)
            return None

    @property
    def problem(self) -> str | None:
        """Why the file is ignored (for ``keys list``), or None when it is usable."""
        if self._load() is None:
            return (
                f"key state file {self.path} cannot be read; key health is not kept "
                "between runs until it is deleted"
            )
        return None

    def read(self) -> KeyStateData:
        return self._load() or KeyStateData()

    def mark(self, entry: KeyEntry) -> KeyMark | None:
        """The mark recorded for this very key (same label and value), if any."""
        data = self.read()
        for mark in data.marks:
            if mark.ident == entry.ident:
                if mark.fingerprint == fingerprint(entry.secret, data.salt):
                    return mark
                return None
        return None

    def health(self, entry: KeyEntry) -> KeyHealth:
        mark = self.mark(entry)
        if mark is None:
            return KeyHealth()
        cooling = max(0.0, (mark.cool_until or 0.0) - time.time())
        return KeyHealth(mark.invalid_since is not None, cooling, mark.reason)

    # -- writing -------------------------------------------------------------------------

    def record_invalid(self, entry: KeyEntry, reason: str = "AUTH_INVALID") -> None:
        now = time.time()
        self._upsert(entry, lambda mark: attrs.evolve(mark, invalid_since=now, reason=reason))

    def record_cool_down(self, entry: KeyEntry, seconds: float, reason: str | None = None) -> None:
        until = time.time() + min(max(seconds, 0.0), MAX_COOL_DOWN)
        self._upsert(
            entry, lambda mark: attrs.evolve(mark, cool_until=until, reason=reason or mark.reason)
        )

    def record_check(self, entry: KeyEntry, status: str) -> None:
        now = time.time()
        self._upsert(entry, lambda mark: attrs.evolve(mark, checked_at=now, check_status=status))

    def recent_check(self, entry: KeyEntry, max_age: float) -> str | None:
        """The status of a check of this very key younger than ``max_age`` seconds."""
        mark = self.mark(entry)
        if mark is None or mark.checked_at is None or mark.check_status is None:
            return None
        return mark.check_status if time.time() - mark.checked_at < max_age else None

    def clear_invalid(self, entry: KeyEntry) -> None:
        """The key was accepted: its INVALID mark and its rest end."""
        mark = self.mark(entry)
        resting = mark is not None and (mark.cool_until or 0.0) > time.time()
        if mark is None or (mark.invalid_since is None and not resting):
            return  # the common case (a healthy key answered): no write
        self._upsert(entry, lambda mark: attrs.evolve(mark, invalid_since=None, cool_until=None))

    def forget(self, provider: str, label: str | None = None, source: str | None = None) -> None:
        """Drop the marks of a provider's keys (one label, one source, or all of them)."""

        def matches(mark: KeyMark) -> bool:
            return (
                mark.provider == provider
                and (label is None or mark.label == label)
                and (source is None or mark.source == source)
            )

        if not any(matches(m) for m in self.read().marks):
            return
        self._update(
            lambda data: attrs.evolve(data, marks=tuple(m for m in data.marks if not matches(m)))
        )

    def _upsert(self, entry: KeyEntry, change: Callable[[KeyMark], KeyMark]) -> None:
        def apply(data: KeyStateData) -> KeyStateData:
            fresh = KeyMark(
                entry.provider,
                entry.source,
                entry.label,
                fingerprint(entry.secret, data.salt),
                shown_last4(entry.secret),
            )
            others = []
            current = fresh
            for mark in data.marks:
                if mark.ident != entry.ident:
                    others.append(mark)
                elif mark.fingerprint == fresh.fingerprint:
                    current = mark  # same key: keep what else is known about it
            return attrs.evolve(data, marks=(*others, change(current)))

        self._update(apply)

    def _update(self, change: Callable[[KeyStateData], KeyStateData]) -> None:
        """Read, change and write the file under a lock. Failures are logged, never raised:
        losing a health mark must not fail the request that made it."""
        from liminal._files import locked, write_atomically
        from liminal._serialize import to_json

        try:
            with locked(self.lock_path):
                self._looked_at.forget(self.path)
                loaded = self._load()
                if loaded is None:
                    log.warning("not saving key health: %s cannot be read", self.path)
                    return
                data = loaded if loaded.salt else attrs.evolve(loaded, salt=secrets.token_hex(16))
                changed = change(data)
                now = time.time()
                changed = attrs.evolve(
                    changed, marks=tuple(m for m in changed.marks if m.live(now))
                )
                if changed != loaded:
                    write_atomically(self.path, to_json(changed) + "\n", mode=0o600)
                    self._looked_at.forget(self.path)  # read it back, whatever max_age says
        except OSError as exc:
            log.warning("cannot save key health to %s: %s", self.path, exc.strerror or exc)
        except LiminalError as exc:  # its directory cannot be made or written
            log.warning("cannot save key health to %s: %s", self.path, exc.message)
