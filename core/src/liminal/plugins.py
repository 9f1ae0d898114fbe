"""The plugin manager: built-ins, then entry points of group ``liminal``, loaded once.

``LIMINAL_PLUGINS`` (comma-separated distribution names) loads only those
distributions' entry points; ``LIMINAL_DISABLE_PLUGINS`` skips the ones named.
A plugin that fails to import or to register is reported once on stderr with
its name and skipped: a broken plugin never takes the CLI down.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from liminal import hookspecs
from liminal.provider.registry import ModelRegistry, ProviderRegistry

if TYPE_CHECKING:
    import click

    from liminal.errors import LiminalError
    from liminal.types import Message, ModelInfo

__all__ = [
    "DEFAULT_PLUGINS",
    "PluginRecord",
    "Plugins",
    "get_plugin_manager",
    "get_plugins",
    "reset_plugins",
]

#: Modules of the core registered as plugins before any entry point.
DEFAULT_PLUGINS: tuple[str, ...] = ("liminal.builtin",)


@attrs.frozen
class PluginRecord:
    """A plugin as ``liminal plugins`` shows it."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool = False


@attrs.define
class PluginFailure:
    name: str
    distribution: str | None
    error: str

    @property
    def warning(self) -> str:
        """The line printed on stderr (also by the registry snapshot)."""
        dist = self.distribution
        label = f"{self.name} ({dist})" if dist and dist != self.name else self.name
        return f"Warning: plugin {label} failed to load and was skipped: {self.error}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_set(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    return {_normalise(part.strip()) for part in raw.split(",") if part.strip()}


class Plugins:
    """A loaded plugin manager with its registries. Build with :func:`get_plugins`."""

    def __init__(
        self, *, load_entry_points: bool = True, warn: Callable[[str], None] | None = None
    ):
        self._warn = warn or _warn_default
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self._dists: dict[str, tuple[str | None, str | None]] = {}
        for module_name in DEFAULT_PLUGINS:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        if load_entry_points:
            self._load_entry_points()
        self.pm.check_pending()
        self._providers: ProviderRegistry | None = None
        self._models: ModelRegistry | None = None

    def _load_entry_points(self) -> None:
        from importlib.metadata import entry_points

        allow = _env_set("LIMINAL_PLUGINS")
        block = _env_set("LIMINAL_DISABLE_PLUGINS") or set()
        seen: set[tuple[str, str]] = set()
        for ep in entry_points(group=hookspecs.PROJECT):
            dist_name = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            key = _normalise(dist_name or ep.name)
            if (key, ep.value) in seen:  # the same distribution seen twice on sys.path
                continue
            seen.add((key, ep.value))
            if allow is not None and key not in allow and _normalise(ep.name) not in allow:
                continue
            if key in block or _normalise(ep.name) in block:
                continue
            if self.pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
                self.pm.register(plugin, name=ep.name)
                # Checked plugin by plugin: a misspelled hook names its plugin, and only
                # that plugin is skipped.
                self.pm.check_pending()
            except Exception as exc:  # a broken plugin is skipped, never fatal
                self._fail(ep.name, dist_name, exc)
                continue
            self._dists[ep.name] = (dist_name, version)

    def _fail(self, name: str, dist: str | None, exc: BaseException) -> None:
        from liminal.keys.secret import redact

        error = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        failure = PluginFailure(name, dist, error)
        self.failures.append(failure)
        self._warn(failure.warning)
        if self.pm.get_plugin(name) is not None and name not in DEFAULT_PLUGINS:
            self.pm.unregister(name=name)

    def _call_each(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of a hook, isolating failures per plugin."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):
            args = {k: v for k, v in kwargs.items() if k in impl.argnames}
            try:
                impl.function(**args)
            except Exception as exc:
                dist = self._dists.get(impl.plugin_name, (None, None))[0]
                self._fail(impl.plugin_name, dist, exc)

    # -- the hooks, typed: nothing outside this class calls ``pm.hook`` -----------------------

    def register_commands(self, cli: click.Group) -> None:
        """Let every plugin add its commands to ``cli`` (a broken one is reported, skipped)."""
        self._call_each("liminal_register_commands", cli=cli)

    def map_error(self, provider_id: str, error: BaseException) -> LiminalError | None:
        """The first plugin's mapping of ``error`` (the core's own fallback comes last)."""
        mapped = self.pm.hook.liminal_map_error(provider_id=provider_id, error=error)
        return mapped  # type: ignore[no-any-return]

    def exact_token_count(self, model: ModelInfo, messages: list[Message]) -> int | None:
        """A plugin's exact count of ``messages`` for ``model``; None when none can count
        (the core's estimate, its own fallback implementation, is left out)."""
        import liminal.builtin

        caller = self.pm.subset_hook_caller(
            "liminal_count_tokens", remove_plugins=[liminal.builtin]
        )
        counted = caller(model=model, messages=messages)
        return int(counted) if counted is not None else None

    @property
    def providers(self) -> ProviderRegistry:
        if self._providers is None:
            self._load_registries()
        assert self._providers is not None
        return self._providers

    @property
    def models(self) -> ModelRegistry:
        if self._models is None:
            self._load_registries()
        assert self._models is not None
        return self._models

    def _load_registries(self) -> None:
        providers = ProviderRegistry()
        self._call_each("liminal_register_providers", registry=providers)
        models = ModelRegistry(providers)
        self._call_each("liminal_register_models", registry=models)
        self._providers, self._models = providers, models

    def records(self) -> list[PluginRecord]:
        records = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            dist, version = self._dists.get(name, (None, None))
            builtin = name in DEFAULT_PLUGINS
            if builtin:
                from liminal._version import __version__

                dist, version = "liminal", __version__
            records.append(PluginRecord(name, dist, version, hooks, builtin))
        return sorted(records, key=lambda r: (not r.builtin, r.name))


def _warn_stderr(message: str) -> None:
    print(message, file=sys.stderr)


_log = logging.getLogger("liminal.plugins")


def _warn_default(message: str) -> None:
    """A broken plugin, when no ``warn`` was given: logged (a library prints nothing), or on
    stderr in the CLI (:mod:`liminal.reporting`)."""
    from liminal import reporting

    if reporting.warnings_on_stderr:
        _warn_stderr(message)
    else:
        _log.warning(message)


_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded lazily and once."""
    global _plugins
    if _plugins is None:
        _plugins = Plugins()
    return _plugins


def get_plugin_manager() -> pluggy.PluginManager:
    return get_plugins().pm


def reset_plugins(plugins: Plugins | None = None) -> None:
    """Drop (or replace) the process-wide plugins; for tests and long-lived UIs."""
    global _plugins
    _plugins = plugins
