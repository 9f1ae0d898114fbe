"""The default model, and the minimal UI hook: what any user interface needs to offer a choice.

The default model is the stored preference (``preferences.json`` in the config dir), else the
first model of a provider that needs no key. :class:`ModelSelector` enumerates the models the
installed plugins contribute, grouped by provider, with their capabilities and whether a key is
at hand, and reads and persists the selection. The CLI's ``chat``, ``liminal ui`` and
``liminal models default`` all use this module; so can any other UI.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from liminal._files import UserFile
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager, key_scope
from liminal.plugins import Plugins, get_plugins
from liminal.types import ModelInfo, ProviderInfo

__all__ = [
    "ModelChoice",
    "ModelSelector",
    "Preferences",
    "ProviderGroup",
    "default_model",
    "load_preferences",
    "model_or_default",
    "preferences_path",
    "require_default_model",
    "save_preferences",
    "set_default_model",
]


# -- the stored preference -------------------------------------------------------------------


@attrs.frozen
class Preferences:
    default_model: str | None = None


def preferences_path() -> Path:
    from liminal._paths import config_dir

    return config_dir() / "preferences.json"


def _file(path: Path | None) -> UserFile[Preferences]:
    return UserFile(path or preferences_path(), Preferences, what="preferences file")


def load_preferences(path: Path | None = None) -> Preferences:
    return _file(path).load()


def save_preferences(preferences: Preferences, path: Path | None = None) -> None:
    _file(path).save(preferences)


# -- the default model ---------------------------------------------------------------------


def default_model(plugins: Plugins) -> ModelInfo | None:
    """The preferred model, or the first model of a provider that needs no key."""
    preferred = load_preferences().default_model
    if preferred and preferred in plugins.models:
        return plugins.models.resolve(preferred)
    for model in plugins.models:
        provider = plugins.providers.get(model.provider)
        if not provider.requires_key and not model.deprecated:
            return model
    return None


def require_default_model(plugins: Plugins) -> ModelInfo:
    model = default_model(plugins)
    if model is None:
        raise LiminalError(
            ErrorCode.MODEL_NOT_FOUND,
            "no model given and no default model set",
            hint="pass -m MODEL or run `liminal models default MODEL`",
        )
    return model


def model_or_default(plugins: Plugins, name: str | None) -> ModelInfo:
    """The model named (id or alias), else the default one."""
    return plugins.models.resolve(name) if name else require_default_model(plugins)


def set_default_model(plugins: Plugins, id_or_alias: str) -> ModelInfo:
    model = plugins.models.resolve(id_or_alias)
    save_preferences(attrs.evolve(load_preferences(), default_model=model.id))
    return model


# -- the UI hook ---------------------------------------------------------------------------


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
        return default_model(self.plugins)

    def select(self, id_or_alias: str) -> ModelInfo:
        """Persist ``id_or_alias`` as the selection (MODEL_NOT_FOUND when unknown)."""
        return set_default_model(self.plugins, id_or_alias)
