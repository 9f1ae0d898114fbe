"""The plugin's hook implementations (liminal_openai/plugin.py) and its start-up cost."""

from __future__ import annotations

from pathlib import Path

import click

import liminal_openai
from liminal.factory import load_service_class
from liminal.plugins import Plugins
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal_openai import plugin
from liminal_openai.catalog import MODELS
from liminal_openai.compatible import CompatibleFile, CompatibleModel, save_compatible
from liminal_openai.service import OpenAIService


def test_public_surface() -> None:
    assert liminal_openai.__all__ == ["__version__"]
    assert liminal_openai.__version__ == "0.1.0"


def test_provider_info() -> None:
    provider = plugin.PROVIDER
    assert provider.id == "openai"
    assert provider.key_env_var == "OPENAI_API_KEY"
    assert provider.base_url_env_var == "OPENAI_BASE_URL"
    assert provider.default_base_url == "https://api.openai.com/v1"
    assert provider.requires_key
    assert load_service_class(provider.service) is OpenAIService


def test_register_providers() -> None:
    registry = ProviderRegistry()
    plugin.liminal_register_providers(registry)
    assert [p.id for p in registry] == ["openai"]


def test_register_models_adds_the_catalog_and_declared_models(liminal_home: Path) -> None:
    save_compatible(CompatibleFile(models=(CompatibleModel("mine", "http://h:1/v1"),)))
    providers = ProviderRegistry()
    plugin.liminal_register_providers(providers)
    models = ModelRegistry(providers)
    plugin.liminal_register_models(models)
    assert [m.id for m in models] == [*(m.id for m in MODELS), "mine"]
    assert models.resolve("mine").base_url == "http://h:1/v1"


def test_register_commands_adds_the_openai_group() -> None:
    group = click.Group("liminal")
    plugin.liminal_register_commands(group)
    command = group.commands["openai"]
    assert isinstance(command, click.Group)
    assert set(command.commands) == {"add-model", "list-models", "remove-model"}


def test_the_entry_point_loads_the_plugin(liminal_home: Path) -> None:
    loaded = Plugins()
    assert loaded.pm.get_plugin("openai") is plugin
    assert loaded.failures == []
    assert "openai" in loaded.providers
    assert loaded.models.resolve("gpt-4o").provider == "openai"
    record = next(r for r in loaded.records() if r.name == "openai")
    assert record.distribution == "liminal-openai"
    assert set(record.hooks) == {
        "liminal_map_error",
        "liminal_register_commands",
        "liminal_register_models",
        "liminal_register_providers",
    }
