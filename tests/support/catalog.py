"""Fake plugins for the core and CLI tests: providers, models, a plugin that registers them.

``fake_provider`` and ``fake_model`` fill in every field a test does not care about, so a test
names only the fields it checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from liminal import ModelInfo, ProviderInfo, hookimpl
from liminal.errors import ErrorCode, LiminalError
from liminal.plugins import Plugins
from liminal.provider.registry import ModelRegistry, ProviderRegistry


def fake_provider(pid: str, **changes: Any) -> ProviderInfo:
    """Provider ``pid``: its id title-cased for a name, a ``pid:Service`` service, and
    ProviderInfo's own defaults for the rest (a key is required)."""
    fields: dict[str, Any] = {"id": pid, "display_name": pid.title(), "service": f"{pid}:Service"}
    fields.update(changes)
    return ProviderInfo(**fields)


def fake_model(mid: str, provider: str = "p", **changes: Any) -> ModelInfo:
    """Model ``mid`` of ``provider``: named by its id, a 1000-token window, 100 tokens out."""
    fields: dict[str, Any] = {
        "id": mid,
        "provider": provider,
        "display_name": mid,
        "context_window": 1000,
        "max_output_tokens": 100,
    }
    fields.update(changes)
    return ModelInfo(**fields)


class CatalogPlugin:
    """Registers ``provider`` and ``models``; register it with ``plugins.pm.register``."""

    def __init__(self, provider: ProviderInfo, models: Iterable[ModelInfo]) -> None:
        self.provider = provider
        self.models = tuple(models)

    @hookimpl
    def liminal_register_providers(self, registry: ProviderRegistry) -> None:
        registry.add(self.provider)

    @hookimpl
    def liminal_register_models(self, registry: ModelRegistry) -> None:
        for model in self.models:
            registry.add(model)


def catalog_plugins(provider: ProviderInfo, models: Iterable[ModelInfo]) -> Plugins:
    """A plugin set with no entry points: the built-ins and a ``CatalogPlugin`` named after
    ``provider``; warnings are dropped."""
    plugins = Plugins(load_entry_points=False, warn=[].append)
    plugins.pm.register(CatalogPlugin(provider, models), name=provider.id)
    return plugins


class ZeroDivisionMapper:
    """Maps ZeroDivisionError (a stand-in for an SDK's error) to CONTENT_FILTERED; declines
    anything else."""

    @hookimpl
    def liminal_map_error(self, provider_id: str, error: BaseException) -> LiminalError | None:
        if isinstance(error, ZeroDivisionError):
            return LiminalError(ErrorCode.CONTENT_FILTERED, "mapped by the plugin")
        return None
