"""The plugin's hook implementations (liminal_anthropic/plugin.py) and its start-up cost."""

from __future__ import annotations

import liminal_anthropic
from liminal.factory import LlmServiceFactory, load_service_class
from liminal.plugins import Plugins
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal_anthropic import plugin
from liminal_anthropic.catalog import MODELS
from liminal_anthropic.service import AnthropicService


def test_public_surface() -> None:
    assert liminal_anthropic.__all__ == ["__version__"]
    assert liminal_anthropic.__version__ == "0.1.0"


def test_provider_info() -> None:
    provider = plugin.PROVIDER
    assert provider.id == "anthropic"
    assert provider.key_env_var == "ANTHROPIC_API_KEY"
    assert provider.base_url_env_var == "ANTHROPIC_BASE_URL"
    assert provider.default_base_url == "https://api.anthropic.com"  # the SDK appends /v1
    assert provider.requires_key
    assert load_service_class(provider.service) is AnthropicService


def test_register_providers_and_models() -> None:
    providers = ProviderRegistry()
    plugin.liminal_register_providers(providers)
    assert [p.id for p in providers] == ["anthropic"]
    models = ModelRegistry(providers)
    plugin.liminal_register_models(models)
    assert [m.id for m in models] == [m.id for m in MODELS]


def test_the_entry_point_loads_the_plugin() -> None:
    loaded = Plugins()
    assert loaded.pm.get_plugin("anthropic") is plugin
    assert loaded.failures == []
    assert loaded.models.resolve("claude-sonnet").provider == "anthropic"
    record = next(r for r in loaded.records() if r.name == "anthropic")
    assert record.distribution == "liminal-anthropic"
    assert set(record.hooks) == {
        "liminal_map_error",
        "liminal_register_models",
        "liminal_register_providers",
    }


def test_the_factory_builds_the_service_for_every_alias() -> None:
    factory = LlmServiceFactory(plugins=Plugins())
    managed = factory.for_model("claude-haiku")
    assert isinstance(managed.service, AnthropicService)
    assert factory.for_model("claude-opus-4-5") is managed  # built once per provider
