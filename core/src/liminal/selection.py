"""Which model is used when none is named: the stored preference, else a keyless model."""

from __future__ import annotations

from liminal.errors import ErrorCode, LiminalError
from liminal.plugins import Plugins
from liminal.types import ModelInfo

__all__ = ["default_model", "set_default_model"]


def default_model(plugins: Plugins) -> ModelInfo | None:
    """The preferred model, or the first model of a provider that needs no key."""
    from liminal.preferences import load_preferences

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
    from liminal.preferences import load_preferences, save_preferences

    model = plugins.models.resolve(id_or_alias)
    import attrs

    save_preferences(attrs.evolve(load_preferences(), default_model=model.id))
    return model
