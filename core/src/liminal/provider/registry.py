"""Typed registries that plugins fill through the registration hooks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from liminal.errors import ErrorCode, LiminalError
from liminal.suggest import did_you_mean
from liminal.types import ModelInfo, ProviderInfo

__all__ = ["ModelRegistry", "ProviderRegistry", "RegistryError"]


class RegistryError(ValueError):
    """A plugin registered something twice or referenced an unknown provider."""


class ProviderRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, ProviderInfo] = {}

    def add(self, provider: ProviderInfo) -> None:
        if provider.id in self._providers:
            raise RegistryError(f"provider {provider.id!r} is registered twice")
        self._providers[provider.id] = provider

    def get(self, provider_id: str) -> ProviderInfo:
        try:
            return self._providers[provider_id]
        except KeyError:
            raise LiminalError(
                ErrorCode.MODEL_NOT_FOUND,
                f"unknown provider {provider_id!r}",
                hint=did_you_mean(provider_id, self._providers, "`liminal plugins`"),
            ) from None

    def __contains__(self, provider_id: object) -> bool:
        return provider_id in self._providers

    def __iter__(self) -> Iterator[ProviderInfo]:
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)


class ModelRegistry:
    def __init__(self, providers: ProviderRegistry) -> None:
        self._providers = providers
        self._models: dict[str, ModelInfo] = {}
        self._aliases: dict[str, str] = {}

    def add(self, model: ModelInfo) -> None:
        if model.provider not in self._providers:
            raise RegistryError(f"model {model.id!r} names unknown provider {model.provider!r}")
        if model.id in self._models or model.id in self._aliases:
            raise RegistryError(f"model id {model.id!r} is registered twice")
        for alias in model.aliases:
            if alias in self._aliases or alias in self._models or alias == model.id:
                raise RegistryError(f"alias {alias!r} of {model.id!r} is already taken")
        self._models[model.id] = model
        for alias in model.aliases:
            self._aliases[alias] = model.id

    def extend(self, models: Iterable[ModelInfo]) -> None:
        """:meth:`add` each of ``models`` (a plugin's catalog)."""
        for model in models:
            self.add(model)

    def resolve(self, id_or_alias: str) -> ModelInfo:
        """The model with this id or alias; MODEL_NOT_FOUND with the closest ids otherwise."""
        model_id = self._aliases.get(id_or_alias, id_or_alias)
        try:
            return self._models[model_id]
        except KeyError:
            known = [*self._models, *self._aliases]
            raise LiminalError(
                ErrorCode.MODEL_NOT_FOUND,
                f"unknown model {id_or_alias!r}",
                hint=did_you_mean(id_or_alias, known, "`liminal models list`"),
            ) from None

    def __contains__(self, id_or_alias: object) -> bool:
        return id_or_alias in self._models or id_or_alias in self._aliases

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def for_provider(self, provider_id: str) -> list[ModelInfo]:
        return [m for m in self._models.values() if m.provider == provider_id]
