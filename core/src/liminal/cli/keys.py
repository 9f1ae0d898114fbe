"""``liminal keys``: store, list, check, rotate and remove API keys.

A key's value never reaches the output: rows show at most its last four characters.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import click

from liminal.cli.loop import run_and_close
from liminal.cli.output import echo_json
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.file import DEFAULT_LABEL, KeyFile, check_label
from liminal.keys.pool import ApiKeyManager, KeyEntry, KeySource
from liminal.keys.secret import Secret
from liminal.types import KeyStatus

if TYPE_CHECKING:
    from liminal.factory import LlmServiceFactory
    from liminal.plugins import Plugins

#: A pool's name and the env vars that feed it.
Pools = dict[str, tuple[str | None, ...]]


@attrs.frozen
class ListedKey:
    """One row of ``keys list``."""

    provider: str
    label: str
    last4: str | None
    source: str
    #: ``ready``, ``cooling`` or ``invalid``.
    status: str
    #: The stored key used first (``keys rotate`` moves it on).
    active: bool = False
    cooling_seconds: float | None = None
    reason: str | None = None


@attrs.frozen
class CheckedKey:
    """One row of ``keys check``."""

    provider: str
    label: str
    last4: str | None
    source: str
    result: KeyStatus
    #: How to fix an INVALID key, or why a key could not be checked.
    detail: str | None = None


@click.group("keys")
def keys() -> None:
    """Store, list, check, rotate and remove API keys."""


# -- helpers ----------------------------------------------------------------------------------


def _plugins() -> Plugins:
    from liminal.plugins import get_plugins

    return get_plugins()


def _pools(loaded: Plugins) -> Pools:
    """Every key pool: providers that take keys, models on their own server, and whatever
    the key file holds (even for a provider whose plugin is not installed)."""
    pools: Pools = {}
    for provider in loaded.providers:
        if provider.requires_key or provider.key_env_var:
            pools[provider.id] = (provider.key_env_var,)
    for model in loaded.models:
        if model.base_url:
            pools.setdefault(f"{model.provider}:{model.id}", (model.key_env_var,))
    for name in KeyFile.default().read().providers:
        pools.setdefault(name, ())
    return dict(sorted(pools.items()))


def _pool_for(loaded: Plugins, name: str) -> tuple[str, str]:
    """``(pool, display name)`` for a provider id, or ``provider:model`` for a model on its
    own server; unknown names are MODEL_NOT_FOUND with the closest matches."""
    if ":" in name:
        provider_id, _, model_id = name.partition(":")
        provider = loaded.providers.get(provider_id)
        model = loaded.models.resolve(model_id)
        if model.provider != provider.id or not model.base_url:
            raise LiminalError(
                ErrorCode.INVALID_REQUEST,
                f"{model.id} is not a model on a server of its own; it uses "
                f"{provider.display_name}'s keys",
                hint=f"keys for {provider.display_name} itself: `liminal keys set {provider.id}`",
            )
        return f"{provider.id}:{model.id}", f"{model.id} ({provider.display_name})"
    provider = loaded.providers.get(name)
    if not provider.requires_key and not provider.key_env_var:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{provider.display_name} needs no API key",
            hint="`liminal keys list` shows the providers that take keys",
        )
    return provider.id, provider.display_name


def _stdin_is_tty() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _read_key(value: str | None, display: str) -> Secret:
    """The key from ``--value``, standard input, or a hidden prompt on a terminal."""
    text: str
    if value is not None:
        text = value
    elif _stdin_is_tty():
        text = str(click.prompt(f"API key for {display}", hide_input=True, err=True))
    else:
        text = sys.stdin.read() if sys.stdin is not None else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            "no key was given",
            hint="pass it on standard input, with --value, or type it at the prompt",
        )
    if len(lines) > 1 or len(lines[0].split()) > 1:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            "a key is one word on one line; what was given is not",
            hint="check what was pasted: an API key has no spaces or line breaks",
        )
    return Secret(lines[0])


def _tail(last4: str | None) -> str:
    return f"…{last4}" if last4 else "…"


def _last4(secret: Secret) -> str | None:
    from liminal.keys.health import shown_last4

    return shown_last4(secret)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _echo_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _forget(pool: str, *labels: str) -> None:
    """Drop health marks of stored keys that were just replaced or removed."""
    from liminal.keys.health import KeyState

    state = KeyState.default()
    for label in labels:
        state.forget(pool, label, KeySource.FILE)


# -- set, add ---------------------------------------------------------------------------------

_VALUE = click.option(
    "--value",
    metavar="KEY",
    help="The key itself (lands in shell history: prefer standard input or the prompt).",
)


@keys.command("set")
@click.argument("provider")
@click.option("--label", default=DEFAULT_LABEL, show_default=True, help="Name of the key.")
@_VALUE
def set_key(provider: str, label: str, value: str | None) -> None:
    """Store PROVIDER's key and use it first.

    The key is read from standard input, --value, or a hidden prompt. A key with the same
    label is replaced; other keys of PROVIDER stay as backups.
    """
    pool, display = _pool_for(_plugins(), provider)
    check_label(label)
    key_file = KeyFile.default()
    key_file.read()  # a broken key file is reported before the key is asked for
    secret = _read_key(value, display)
    key_file.set_key(pool, label, secret)
    _forget(pool, label)
    click.echo(f"Saved key {label!r} for {display} ({_tail(_last4(secret))}); it is used first.")


@keys.command("add")
@click.argument("provider")
@click.option("--label", required=True, help="Name of the new key.")
@_VALUE
def add_key(provider: str, label: str, value: str | None) -> None:
    """Add another key to PROVIDER's pool under LABEL; the key used first stays the same.

    When a key is rejected, rate limited or out of quota, the next key of the pool serves.
    """
    pool, display = _pool_for(_plugins(), provider)
    key_file = KeyFile.default()
    key_file.check_new_label(pool, check_label(label))
    secret = _read_key(value, display)
    key_file.add_key(pool, label, secret)
    _forget(pool, label)
    count = len(key_file.labels(pool))
    click.echo(
        f"Added key {label!r} for {display} ({_tail(_last4(secret))}); "
        f"{count} stored key{'s' if count != 1 else ''}."
    )


# -- list -------------------------------------------------------------------------------------


def _listed(manager: ApiKeyManager, pools: Pools) -> list[ListedKey]:
    rows: list[ListedKey] = []
    for pool, env_vars in pools.items():
        first_stored = True
        for entry in manager.all_entries(pool, env_vars):
            health = manager.health(entry)
            active = entry.source == KeySource.FILE and first_stored
            first_stored = first_stored and entry.source != KeySource.FILE
            cooling = round(health.cooling_seconds, 1) if health.status == "cooling" else None
            rows.append(
                ListedKey(
                    provider=pool,
                    label=entry.label,
                    last4=_last4(entry.secret),
                    source=entry.source,
                    status=health.status,
                    active=active,
                    cooling_seconds=cooling,
                    reason=health.reason if health.status != "ready" else None,
                )
            )
    return rows


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def list_keys(as_json: bool) -> None:
    """List every key: provider, label, last four characters, source and status."""
    from liminal._serialize import unstructure
    from liminal.keys.health import KeyState

    rows = _listed(ApiKeyManager(), _pools(_plugins()))
    problem = KeyState.default().problem
    if problem:
        click.echo(f"Warning: {problem}", err=True)
    if as_json:
        echo_json(unstructure(rows))
        return
    if not rows:
        click.echo("No API keys. Store one with `liminal keys set PROVIDER`.")
        return
    table = [("PROVIDER", "LABEL", "KEY", "SOURCE", "STATUS")]
    for row in rows:
        status = row.status
        if row.cooling_seconds is not None:
            status += f" ({_duration(row.cooling_seconds)} left)"
        if row.reason and row.status != "ready":
            status += f", {row.reason}"
        label = row.label + ("*" if row.active else "")
        table.append((row.provider, label, _tail(row.last4), row.source, status))
    _echo_table(table)
    if any(row.active for row in rows):
        click.echo("\n* stored key used first (`liminal keys rotate PROVIDER` moves on)")


# -- check ------------------------------------------------------------------------------------


def _fix(entry: KeyEntry) -> str:
    if entry.source == KeySource.ENV:
        return f"{entry.label} holds a rejected key: set it to a working key or unset it"
    where = f"{entry.provider} --label {entry.label}"
    return (
        f"replace it with `liminal keys set {where}` "
        f"or remove it with `liminal keys remove {where}`"
    )


async def _check_one(
    factory: LlmServiceFactory, loaded: Plugins, entry: KeyEntry
) -> tuple[KeyStatus, str | None]:
    if ":" in entry.provider:
        return KeyStatus.UNKNOWN, "keys of a model on its own server are not checked"
    if entry.provider not in loaded.providers:
        return KeyStatus.UNKNOWN, "the provider's plugin is not installed"
    try:
        service = factory.for_provider(entry.provider)
    except LiminalError as exc:
        return KeyStatus.UNKNOWN, exc.message
    status = await service.validate_key(entry.secret)
    if status is KeyStatus.INVALID:
        return status, _fix(entry)
    if status is KeyStatus.UNKNOWN:
        return status, "the provider could not be reached; the key stays in use"
    return status, None


async def _check_all(
    factory: LlmServiceFactory, loaded: Plugins, entries: list[KeyEntry]
) -> list[tuple[KeyStatus, str | None]]:
    return list(await asyncio.gather(*(_check_one(factory, loaded, e) for e in entries)))


@keys.command("check")
@click.argument("provider", required=False)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def check_keys(provider: str | None, as_json: bool) -> None:
    """Ask the provider whether each key works: VALID, INVALID or UNKNOWN.

    UNKNOWN (the provider could not be reached) changes nothing. INVALID keys are marked so
    that requests try them last, and the command exits with status 3.
    """
    from liminal._serialize import unstructure
    from liminal.factory import LlmServiceFactory

    loaded = _plugins()
    pools = _pools(loaded)
    if provider is not None:
        pool = provider if provider in pools else _pool_for(loaded, provider)[0]
        pools = {pool: pools.get(pool, ())}
    manager = ApiKeyManager()
    entries = [e for pool, env_vars in pools.items() for e in manager.all_entries(pool, env_vars)]
    if not entries:
        where = f"for {provider}" if provider else "at all"
        raise LiminalError(
            ErrorCode.NO_KEY,
            f"no API key is configured {where}",
            hint=f"store one with `liminal keys set {provider or 'PROVIDER'}` "
            "or set the provider's environment variable",
        )
    factory = LlmServiceFactory(plugins=loaded, keys=manager)
    outcomes = run_and_close(factory, _check_all(factory, loaded, entries))
    rows: list[CheckedKey] = []
    for entry, (status, detail) in zip(entries, outcomes, strict=True):
        if status is KeyStatus.INVALID:
            manager.mark_invalid(entry)
        elif status is KeyStatus.VALID:
            manager.mark_valid(entry)
        rows.append(
            CheckedKey(
                entry.provider, entry.label, _last4(entry.secret), entry.source, status, detail
            )
        )
    if as_json:
        echo_json(unstructure(rows))
    else:
        table = [("PROVIDER", "LABEL", "KEY", "SOURCE", "RESULT")]
        table += [
            (r.provider, r.label, _tail(r.last4), r.source, r.result.value.upper()) for r in rows
        ]
        _echo_table(table)
        notes = [r for r in rows if r.detail]
        if notes:
            click.echo()
        for r in notes:
            click.echo(f"{r.provider}/{r.label}: {r.result.value.upper()}: {r.detail}")
    rejected = [f"{r.provider}/{r.label}" for r in rows if r.result is KeyStatus.INVALID]
    if rejected:
        raise LiminalError(
            ErrorCode.AUTH_INVALID,
            f"{len(rejected)} of {len(rows)} keys were rejected: {', '.join(rejected)}",
            hint="replace or remove them as shown above"
            if not as_json
            else "replace or remove them (see each key's detail)",
        )


# -- rotate, remove, path ---------------------------------------------------------------------


@keys.command("rotate")
@click.argument("provider")
def rotate_keys(provider: str) -> None:
    """Use PROVIDER's next stored key first (in the order `keys list` shows)."""
    key_file = KeyFile.default()
    labels = key_file.labels(provider)
    label = key_file.rotate(provider)
    manager = ApiKeyManager()
    entry = next(e for e in manager.all_entries(provider) if e.label == label)
    tail = _tail(_last4(entry.secret))
    if len(labels) == 1:
        click.echo(f"{provider} has one stored key ({label!r}, {tail}); it stays in use.")
    else:
        click.echo(f"{provider} now uses key {label!r} ({tail}) first.")
    health = manager.health(entry)
    if health.invalid:
        click.echo(
            f"Warning: key {label!r} was rejected earlier; "
            f"check it with `liminal keys check {provider}`",
            err=True,
        )


@keys.command("remove")
@click.argument("provider")
@click.option("--label", help="Remove only this key (default: all of PROVIDER's stored keys).")
def remove_keys(provider: str, label: str | None) -> None:
    """Remove PROVIDER's stored keys, or the one named by --label."""
    key_file = KeyFile.default()
    pools = _pools(_plugins())
    if not key_file.labels(provider):
        manager = ApiKeyManager()
        from_env = [e.label for e in manager.all_entries(provider, pools.get(provider, ()))]
        if from_env:
            raise LiminalError(
                ErrorCode.NO_KEY,
                f"{provider} has no stored key; its key comes from {', '.join(from_env)}",
                hint="unset that variable in your shell; liminal never changes your environment",
            )
    removed = key_file.remove(provider, label)
    _forget(provider, *removed)
    names = ", ".join(repr(x) for x in removed)
    click.echo(
        f"Removed {len(removed)} key{'s' if len(removed) != 1 else ''} of {provider}: {names}."
    )
    left = ApiKeyManager().all_entries(provider, pools.get(provider, ()))
    if not left:
        click.echo(f"{provider} has no key left.", err=True)


@keys.command("path")
def key_path() -> None:
    """Print where the key file is (it is created 0600 on the first `keys set`)."""
    click.echo(str(KeyFile.default().path))
