"""Which model answers when none is named: the stored default, else a keyless model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liminal import hookimpl
from liminal.errors import ErrorCode, LiminalError
from liminal.plugins import Plugins
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal.ui import (
    Preferences,
    default_model,
    require_default_model,
    save_preferences,
    set_default_model,
)
from support.catalog import fake_model, fake_provider


class Catalog:
    def __init__(self, *, keyless: bool) -> None:
        self.keyless = keyless

    @hookimpl
    def liminal_register_providers(self, registry: ProviderRegistry) -> None:
        registry.add(fake_provider("cloud"))
        if self.keyless:
            registry.add(fake_provider("local", requires_key=False))

    @hookimpl
    def liminal_register_models(self, registry: ModelRegistry) -> None:
        registry.add(fake_model("cloud-1", "cloud", aliases=("c1",)))
        if self.keyless:
            registry.add(fake_model("local-old", "local", deprecated=True))
            registry.add(fake_model("local-1", "local"))


def plugins(*, keyless: bool) -> Plugins:
    loaded = Plugins(load_entry_points=False, warn=[].append)
    loaded.pm.register(Catalog(keyless=keyless), name="catalog")
    return loaded


def test_no_preference_falls_back_to_first_current_keyless_model() -> None:
    chosen = default_model(plugins(keyless=True))
    assert chosen is not None
    assert chosen.id == "local-1"


def test_no_preference_and_no_keyless_model() -> None:
    loaded = plugins(keyless=False)
    assert default_model(loaded) is None
    with pytest.raises(LiminalError) as caught:
        require_default_model(loaded)
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
    assert "models default" in (caught.value.hint or "")


def test_stored_preference_wins() -> None:
    save_preferences(Preferences(default_model="cloud-1"))
    chosen = default_model(plugins(keyless=True))
    assert chosen is not None
    assert chosen.id == "cloud-1"


def test_preference_for_an_uninstalled_model_is_ignored() -> None:
    save_preferences(Preferences(default_model="gone-model"))
    chosen = default_model(plugins(keyless=True))
    assert chosen is not None
    assert chosen.id == "local-1"


def test_set_default_by_alias_stores_the_id(liminal_home: Path) -> None:
    loaded = plugins(keyless=False)
    assert set_default_model(loaded, "c1").id == "cloud-1"
    stored = json.loads((liminal_home / "preferences.json").read_text())
    assert stored["default_model"] == "cloud-1"
    assert require_default_model(loaded).id == "cloud-1"


def test_set_unknown_default_writes_nothing(liminal_home: Path) -> None:
    with pytest.raises(LiminalError) as caught:
        set_default_model(plugins(keyless=False), "clod-1")
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
    assert not (liminal_home / "preferences.json").exists()
