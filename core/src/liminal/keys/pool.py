"""The key pool: the key manager every service call uses.

Sources, in order: an explicit key (``--key``, API argument), the stored key
file, the provider's environment variable. Keys for one provider form a pool:
an invalid key is skipped, a rate-limited key cools down, the next one serves.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

from liminal.keys.health import MAX_COOL_DOWN
from liminal.keys.secret import Secret

if TYPE_CHECKING:
    from liminal.keys.file import KeyFile
    from liminal.keys.health import KeyHealth, KeyState
    from liminal.types import ModelInfo, ProviderInfo

__all__ = [
    "ApiKeyManager",
    "KeyEntry",
    "KeyScope",
    "KeySource",
    "key_scope",
]

#: Seconds the key pool trusts its last look at the key file and the key state file: a change
#: made by another process is seen at most this late, and a request costs no file-system call.
RECHECK_SECONDS = 0.25
#: What decides where the key files are (besides ``LIMINAL_HOME``, platformdirs' inputs).
_LOCATION_VARS = ("LIMINAL_HOME", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")


@attrs.frozen
class KeyScope:
    """Where the keys of one target come from."""

    #: The pool name (``--key`` and ``keys set`` use it): the provider id, or
    #: ``provider:model`` for a model on its own server.
    pool: str
    env_vars: tuple[str | None, ...]
    #: False when the target works without a key (a keyless provider, or a model on its
    #: own server that names no key variable).
    required: bool


def key_scope(provider: ProviderInfo, model: ModelInfo | None = None) -> KeyScope:
    """The keys ``model`` of ``provider`` may use: a model on its own server never
    receives the provider's keys."""
    if model is not None and model.base_url:
        return KeyScope(
            f"{provider.id}:{model.id}",
            (model.key_env_var,),
            provider.requires_key and bool(model.key_env_var),
        )
    return KeyScope(provider.id, (provider.key_env_var,), provider.requires_key)


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
    """Supplies keys to services and tracks their health.

    The stored key file is read on every :meth:`candidates` call whose file
    changed since the last read, so a key set from another terminal is used on
    the next request without a restart. Health (INVALID marks, cool-downs) is
    kept in memory and, for stored and environment keys, in the key state file
    (:mod:`liminal.keys.health`) so later processes see it too. A mark applies to
    the key value it was made for: a label set to a new key starts healthy.
    """

    def __init__(
        self,
        explicit: dict[str, Secret] | None = None,
        *,
        state: KeyState | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._explicit = dict(explicit or {})
        self._state = state
        #: The clock of RECHECK_SECONDS (a test moves it instead of sleeping).
        self._clock = clock
        self._files: tuple[tuple[str | None, ...], float, KeyFile, KeyState] | None = None
        # ident -> the key value that was rejected / (monotonic end, key value) of a cool-down
        self._invalid: dict[tuple[str, str, str], Secret] = {}
        self._cooldown: dict[tuple[str, str, str], tuple[float, Secret]] = {}
        self._lock = threading.Lock()

    def set_explicit(self, provider: str, secret: Secret) -> None:
        self._explicit[provider] = secret

    def _key_files(self) -> tuple[KeyFile, KeyState]:
        """The key file and the key state file, located again (and looked at again) at most
        every :data:`RECHECK_SECONDS`, or at once when the environment moves them."""
        where = tuple(os.environ.get(name) for name in _LOCATION_VARS)
        now = self._clock()
        files = self._files
        if files is None or files[0] != where or not 0 <= now - files[1] < RECHECK_SECONDS:
            from liminal.keys.file import KeyFile
            from liminal.keys.health import KeyState

            key_file = KeyFile(KeyFile.default().path, max_age=RECHECK_SECONDS, clock=self._clock)
            state = KeyState(KeyState.default().path, max_age=RECHECK_SECONDS, clock=self._clock)
            files = self._files = (where, now, key_file, state)
        return files[2], files[3]

    @property
    def state(self) -> KeyState:
        """Where health outlives the process (the data dir's key state file by default)."""
        if self._state is not None:
            return self._state
        return self._key_files()[1]

    def _stored(self, provider: str) -> list[KeyEntry]:
        return [
            KeyEntry(provider, label, secret, KeySource.FILE)
            for label, secret in self._key_files()[0].pool(provider)
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
        """Keys to try, best first: healthy ones in pool order, then cooling ones by
        readiness, then keys another process found invalid (tried last, never dropped, so
        a key rejected by mistake recovers). Keys this process found invalid are left out."""
        ranked: list[tuple[int, float, int, KeyEntry]] = []
        for index, entry in enumerate(self.all_entries(provider, env_vars)):
            if self._invalid_here(entry):
                continue
            health = self.health(entry)
            if health.invalid:
                ranked.append((2, 0.0, index, entry))
            elif health.cooling_seconds > 0:
                ranked.append((1, health.cooling_seconds, index, entry))
            else:
                ranked.append((0, 0.0, index, entry))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked]

    def _invalid_here(self, entry: KeyEntry) -> bool:
        return self._invalid.get(entry.ident) == entry.secret

    def _cooling_here(self, entry: KeyEntry) -> float:
        until, secret = self._cooldown.get(entry.ident, (0.0, None))
        if secret != entry.secret:
            return 0.0
        return max(0.0, until - time.monotonic())

    def health(self, entry: KeyEntry) -> KeyHealth:
        """What this process and the key state file know about ``entry``'s key."""
        from liminal.keys.health import KeyHealth

        stored = KeyHealth() if entry.source == KeySource.EXPLICIT else self.state.health(entry)
        invalid = self._invalid_here(entry) or stored.invalid
        cooling = max(self._cooling_here(entry), stored.cooling_seconds)
        if invalid == stored.invalid and cooling == stored.cooling_seconds:
            return stored
        reason = stored.reason or ("AUTH_INVALID" if invalid else None)
        return KeyHealth(invalid=invalid, cooling_seconds=cooling, reason=reason)

    def mark_invalid(self, entry: KeyEntry, reason: str = "AUTH_INVALID") -> None:
        """The provider rejected this key: skip it here, try it last in later processes."""
        with self._lock:
            self._invalid[entry.ident] = entry.secret
        if entry.source != KeySource.EXPLICIT:
            self.state.record_invalid(entry, reason)

    def mark_valid(self, entry: KeyEntry) -> None:
        """The key was accepted: drop an INVALID mark or a rest it carries (here and on disk)."""
        with self._lock:
            if self._invalid_here(entry):
                del self._invalid[entry.ident]
            self._cooldown.pop(entry.ident, None)
        if entry.source != KeySource.EXPLICIT:
            self.state.clear_invalid(entry)

    def is_invalid(self, entry: KeyEntry) -> bool:
        return self.health(entry).invalid

    def cool_down(self, entry: KeyEntry, seconds: float, reason: str | None = None) -> None:
        """Rest this key for ``seconds`` (a 429, an exhausted quota), at most
        :data:`MAX_COOL_DOWN`; the next one serves."""
        seconds = min(max(seconds, 0.0), MAX_COOL_DOWN)
        with self._lock:
            self._cooldown[entry.ident] = (time.monotonic() + seconds, entry.secret)
        if entry.source != KeySource.EXPLICIT:
            self.state.record_cool_down(entry, seconds, reason)

    def cooling_for(self, entry: KeyEntry) -> float:
        return self.health(entry).cooling_seconds
