"""The typed registries plugins fill: duplicates raise, aliases are unique across providers."""

from __future__ import annotations

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.provider.registry import ModelRegistry, ProviderRegistry, RegistryError
from liminal.types import ModelInfo
from support.catalog import fake_model, fake_provider


def model(mid: str, pid: str = "alpha", aliases: tuple[str, ...] = ()) -> ModelInfo:
    return fake_model(mid, pid, aliases=aliases)


@pytest.fixture
def providers() -> ProviderRegistry:
    registry = ProviderRegistry()
    registry.add(fake_provider("alpha"))
    registry.add(fake_provider("beta"))
    return registry


@pytest.fixture
def models(providers: ProviderRegistry) -> ModelRegistry:
    return ModelRegistry(providers)


def test_duplicate_provider_raises(providers: ProviderRegistry) -> None:
    with pytest.raises(RegistryError, match="'alpha'"):
        providers.add(fake_provider("alpha"))
    assert len(providers) == 2


def test_registry_error_is_a_value_error() -> None:
    assert issubclass(RegistryError, ValueError)


def test_provider_lookup(providers: ProviderRegistry) -> None:
    assert providers.get("beta").id == "beta"
    assert "alpha" in providers
    assert "gamma" not in providers
    assert [p.id for p in providers] == ["alpha", "beta"]


def test_unknown_provider_is_model_not_found_with_hint(providers: ProviderRegistry) -> None:
    with pytest.raises(LiminalError) as caught:
        providers.get("alpah")
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
    assert "alpha" in (caught.value.hint or "")


def test_duplicate_model_raises(models: ModelRegistry) -> None:
    models.add(model("m1"))
    with pytest.raises(RegistryError, match="'m1'"):
        models.add(model("m1", pid="beta"))
    assert models.resolve("m1").provider == "alpha"


def test_model_of_unknown_provider_raises(models: ModelRegistry) -> None:
    with pytest.raises(RegistryError, match="gamma"):
        models.add(model("m1", pid="gamma"))
    assert len(models) == 0


def test_alias_unique_across_providers(models: ModelRegistry) -> None:
    models.add(model("a-large", pid="alpha", aliases=("large",)))
    with pytest.raises(RegistryError, match="'large'"):
        models.add(model("b-large", pid="beta", aliases=("large",)))
    # the failed add left nothing behind
    assert "b-large" not in models
    assert models.resolve("large").id == "a-large"


def test_alias_cannot_shadow_a_model_id(models: ModelRegistry) -> None:
    models.add(model("m1"))
    with pytest.raises(RegistryError):
        models.add(model("m2", pid="beta", aliases=("m1",)))
    assert "m2" not in models


def test_model_id_cannot_shadow_an_alias(models: ModelRegistry) -> None:
    models.add(model("m1", aliases=("short",)))
    with pytest.raises(RegistryError):
        models.add(model("short", pid="beta"))
    assert models.resolve("short").id == "m1"


def test_alias_equal_to_own_id_raises(models: ModelRegistry) -> None:
    with pytest.raises(RegistryError):
        models.add(model("m1", aliases=("m1",)))
    assert len(models) == 0


def test_failed_alias_does_not_register_earlier_aliases(models: ModelRegistry) -> None:
    models.add(model("m1", aliases=("taken",)))
    with pytest.raises(RegistryError):
        models.add(model("m2", aliases=("free", "taken")))
    assert "free" not in models
    with pytest.raises(LiminalError):
        models.resolve("free")


def test_resolve_by_id_and_alias(models: ModelRegistry) -> None:
    m = model("alpha-large-2025", aliases=("large", "al"))
    models.add(m)
    assert models.resolve("alpha-large-2025") is m
    assert models.resolve("large") is m
    assert models.resolve("al") is m
    assert "al" in models
    assert len(models) == 1  # aliases are not extra models


def test_unknown_model_suggests_closest_id(models: ModelRegistry) -> None:
    models.add(model("gpt-4o"))
    models.add(model("claude-opus", pid="beta"))
    with pytest.raises(LiminalError) as caught:
        models.resolve("gpt-4")
    error = caught.value
    assert error.code is ErrorCode.MODEL_NOT_FOUND
    assert error.exit_code == 2
    assert "'gpt-4'" in error.message
    assert error.hint is not None
    assert "did you mean gpt-4o" in error.hint
    assert "claude-opus" not in error.hint


def test_unknown_model_suggests_closest_alias(models: ModelRegistry) -> None:
    models.add(model("claude-sonnet-4-5-20250929", pid="beta", aliases=("claude-sonnet",)))
    with pytest.raises(LiminalError) as caught:
        models.resolve("claude-sonet")
    assert "claude-sonnet" in (caught.value.hint or "")


def test_unknown_model_without_close_match_points_to_list(models: ModelRegistry) -> None:
    models.add(model("m1"))
    with pytest.raises(LiminalError) as caught:
        models.resolve("zzzzzzzzzz")
    assert caught.value.hint == "see `liminal models list`"


def test_iteration_keeps_registration_order(models: ModelRegistry) -> None:
    for mid, pid in [("b", "beta"), ("a", "alpha"), ("c", "alpha")]:
        models.add(model(mid, pid=pid))
    assert [m.id for m in models] == ["b", "a", "c"]
    assert [m.id for m in models.for_provider("alpha")] == ["a", "c"]
    assert models.for_provider("gamma") == []
