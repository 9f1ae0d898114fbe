"""API keys: the ``Secret`` type, redaction, and the key manager every service call uses.

Sources, in order: an explicit key (``--key``, API argument), the stored key
file, the provider's environment variable. Keys for one provider form a pool:
an invalid key is skipped, a rate-limited key cools down, the next one serves.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable

import attrs

__all__ = ["ApiKeyManager", "KeyEntry", "KeySource", "Secret", "redact"]

# Key-shaped tokens: OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys.
_KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def _mask(value: str) -> str:
    if len(value) >= 12:
        return f"{value[:3]}…{value[-4:]}"
    return "…" + value[-2:] if len(value) > 4 else "…"


def redact(text: str) -> str:
    """``text`` with every known key and anything key-shaped masked."""
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, _mask(value))
    return _KEY_PATTERN.sub(lambda m: _mask(m.group(0)), text)


class Secret:
    """A key. ``str`` and ``repr`` show only a redacted form; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ValueError("an API key cannot be empty")
        self._value = value
        if len(value) >= 8:
            with _known_lock:
                _known_secrets.add(value)

    def reveal(self) -> str:
        return self._value

    @property
    def last4(self) -> str:
        return self._value[-4:]

    def __str__(self) -> str:
        return _mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({_mask(self._value)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickled into caches or logs
        raise TypeError("Secret cannot be pickled")


class KeySource:
    EXPLICIT = "explicit"
    FILE = "file"
    ENV = "env"


@attrs.frozen
class KeyEntry:
    """One key of a provider's pool, with where it came from."""

    provider: str
    label: str
    secret: Secret = attrs.field(eq=False)
    source: str

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.provider, self.source, self.label)


class ApiKeyManager:
    """Supplies keys to services and tracks their health for this process.

    The stored key file is read on every :meth:`candidates` call whose file
    changed since the last read, so a key set from another terminal is used on
    the next request without a restart.
    """

    def __init__(self, explicit: dict[str, Secret] | None = None) -> None:
        self._explicit = dict(explicit or {})
        self._invalid: set[tuple[str, str, str]] = set()
        self._cooldown: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def set_explicit(self, provider: str, secret: Secret) -> None:
        self._explicit[provider] = secret

    def _stored(self, provider: str) -> list[KeyEntry]:
        from liminal.keyfile import KeyFile

        return [
            KeyEntry(provider, label, secret, KeySource.FILE)
            for label, secret in KeyFile.default().pool(provider)
        ]

    def all_entries(self, provider: str, env_vars: Iterable[str | None] = ()) -> list[KeyEntry]:
        """Every configured key of ``provider``, in the order they are tried."""
        entries: list[KeyEntry] = []
        if provider in self._explicit:
            entries.append(
                KeyEntry(provider, "explicit", self._explicit[provider], KeySource.EXPLICIT)
            )
        entries.extend(self._stored(provider))
        for var in env_vars:
            value = os.environ.get(var) if var else None
            if var and value and value.strip():
                entries.append(KeyEntry(provider, var, Secret(value), KeySource.ENV))
        return entries

    def candidates(self, provider: str, env_vars: Iterable[str | None] = ()) -> list[KeyEntry]:
        """Healthy keys first (not invalid, not cooling down), then cooling ones by readiness."""
        now = time.monotonic()
        entries = [e for e in self.all_entries(provider, env_vars) if e.ident not in self._invalid]
        ready = [e for e in entries if self._cooldown.get(e.ident, 0.0) <= now]
        cooling = sorted(
            (e for e in entries if self._cooldown.get(e.ident, 0.0) > now),
            key=lambda e: self._cooldown[e.ident],
        )
        return ready + cooling

    def mark_invalid(self, entry: KeyEntry) -> None:
        with self._lock:
            self._invalid.add(entry.ident)

    def is_invalid(self, entry: KeyEntry) -> bool:
        return entry.ident in self._invalid

    def cool_down(self, entry: KeyEntry, seconds: float) -> None:
        with self._lock:
            self._cooldown[entry.ident] = time.monotonic() + max(seconds, 0.0)

    def cooling_for(self, entry: KeyEntry) -> float:
        return max(0.0, self._cooldown.get(entry.ident, 0.0) - time.monotonic())
