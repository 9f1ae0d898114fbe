"""A plugin that registers a provider and its models: the usual fake of the core and CLI tests."""

from __future__ import annotations

from collections.abc import Iterable

from liminal import ModelInfo, ProviderInfo, hookimpl
from liminal.provider.registry import ModelRegistry, ProviderRegistry


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
