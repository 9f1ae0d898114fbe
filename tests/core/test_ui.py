"""liminal.ui: models grouped by provider, key availability, the persisted selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from liminal import hookimpl
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager
from liminal.keys.secret import Secret
from liminal.plugins import Plugins
from liminal.types import Capabilities, ModelInfo, ProviderInfo
from liminal.ui import ModelSelector


class Catalog:
    @hookimpl
    def liminal_register_providers(self, registry: Any) -> None:
        registry.add(ProviderInfo("cloud", "Cloud", "x:Y", key_env_var="CLOUD_KEY"))
        registry.add(ProviderInfo("home", "Home", "x:Y", requires_key=False))

    @hookimpl
    def liminal_register_models(self, registry: Any) -> None:
        registry.add(ModelInfo("big", "cloud", "Big", 1000, 100, Capabilities(vision=True)))
        registry.add(ModelInfo("old", "cloud", "Old", 1000, 100, deprecated=True))
        registry.add(ModelInfo("tiny", "home", "Tiny", 500, 50))
        registry.add(
            ModelInfo(
                "side",
                "cloud",
                "Side",
                500,
                50,
                base_url="http://127.0.0.1:1/v1",
                key_env_var="SIDE_KEY",
            )
        )


@pytest.fixture
def selector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSelector:
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    for var in ("CLOUD_KEY", "SIDE_KEY"):
        monkeypatch.delenv(var, raising=False)
    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(Catalog())
    return ModelSelector(plugins, ApiKeyManager())


def table(selector: ModelSelector, **kwargs: bool) -> dict[str, list[tuple[str, bool, bool]]]:
    return {
        g.provider.id: [(c.model.id, c.key_available, c.selected) for c in g.choices]
        for g in selector.groups(**kwargs)
    }


def test_models_are_grouped_by_provider_with_key_availability(selector: ModelSelector) -> None:
    assert table(selector) == {
        "cloud": [("big", False, False), ("old", False, False), ("side", False, False)],
        "home": [("tiny", True, True)],  # keyless: the default selection
    }
    assert table(selector, include_deprecated=False)["cloud"][1][0] == "side"
    first = selector.groups()[0].choices[0]
    assert first.capabilities == ["streaming", "vision", "system_prompt"]


def test_a_key_makes_the_provider_available(
    selector: ModelSelector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_KEY", "cloud-key-123456")
    assert [c[1] for c in table(selector)["cloud"]] == [True, True, False]
    monkeypatch.setenv("SIDE_KEY", "side-key-123456")
    assert table(selector)["cloud"][2][1] is True
    selector.keys.set_explicit("cloud", Secret("explicit-key-1234"))
    assert table(selector)["cloud"][0][1] is True


def test_selection_is_persisted(selector: ModelSelector, tmp_path: Path) -> None:
    assert selector.selected() is not None
    assert selector.selected().id == "tiny"
    assert selector.select("big").id == "big"
    assert "big" in (tmp_path / "preferences.json").read_text()
    fresh = ModelSelector(selector.plugins)
    assert fresh.selected() is not None
    assert fresh.selected().id == "big"
    assert table(fresh)["cloud"][0][2] is True


def test_selecting_an_unknown_model_changes_nothing(
    selector: ModelSelector, tmp_path: Path
) -> None:
    with pytest.raises(LiminalError) as caught:
        selector.select("bgi")
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
    assert "big" in (caught.value.hint or "")
    assert not (tmp_path / "preferences.json").exists()
