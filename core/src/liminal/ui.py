"""The minimal UI hook: what any user interface needs to offer a choice of model.

One object enumerates the models the installed plugins contribute, grouped by
provider, with their capabilities and whether a key is at hand, and reads and
persists the selection. The CLI's ``chat`` uses it; so can any other UI.
"""

from __future__ import annotations

import attrs

from liminal.keys import ApiKeyManager, key_scope
from liminal.plugins import Plugins, get_plugins
from liminal.types import ModelInfo, ProviderInfo

__all__ = ["ModelChoice", "ModelSelector", "ProviderGroup"]


@attrs.frozen
class ModelChoice:
    model: ModelInfo
    #: A key is configured for it (or it needs none): choosing it can work right away.
    key_available: bool
    selected: bool = False

    @property
    def capabilities(self) -> list[str]:
        return self.model.capabilities.names()


@attrs.frozen
class ProviderGroup:
    provider: ProviderInfo
    choices: tuple[ModelChoice, ...]


class ModelSelector:
    def __init__(self, plugins: Plugins | None = None, keys: ApiKeyManager | None = None):
        self.plugins = plugins or get_plugins()
        self.keys = keys or ApiKeyManager()

    def key_available(self, model: ModelInfo) -> bool:
        scope = key_scope(self.plugins.providers.get(model.provider), model)
        return not scope.required or bool(self.keys.candidates(scope.pool, scope.env_vars))

    def groups(self, *, include_deprecated: bool = True) -> list[ProviderGroup]:
        """Every model, grouped by provider in registration order."""
        selected = self.selected()
        groups = []
        for provider in self.plugins.providers:
            choices = tuple(
                ModelChoice(m, self.key_available(m), selected is not None and m.id == selected.id)
                for m in self.plugins.models.for_provider(provider.id)
                if include_deprecated or not m.deprecated
            )
            if choices:
                groups.append(ProviderGroup(provider, choices))
        return groups

    def selected(self) -> ModelInfo | None:
        """The stored preference, else the first model that needs no key."""
        from liminal.selection import default_model

        return default_model(self.plugins)

    def select(self, id_or_alias: str) -> ModelInfo:
        """Persist ``id_or_alias`` as the selection (MODEL_NOT_FOUND when unknown)."""
        from liminal.selection import set_default_model

        return set_default_model(self.plugins, id_or_alias)
