"""Every provider plugin's built-in model catalog registers and is well formed."""

from __future__ import annotations

import pytest

from liminal import ModelInfo
from liminal_anthropic.catalog import MODELS as ANTHROPIC_MODELS
from liminal_openai.catalog import MODELS as OPENAI_MODELS
from support import anthropic_fakes, openai_fakes

CATALOGS = {
    "openai": (OPENAI_MODELS, openai_fakes.model_registry),
    "anthropic": (ANTHROPIC_MODELS, anthropic_fakes.model_registry),
}
EACH_MODEL = [(provider, m) for provider, (models, _) in CATALOGS.items() for m in models]


@pytest.mark.parametrize("provider", CATALOGS)
def test_ids_and_aliases_are_unique_and_all_register(provider: str) -> None:
    models, model_registry = CATALOGS[provider]
    assert len(model_registry()) == len(models)
    names = [name for m in models for name in (m.id, *m.aliases)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("provider", "model"), EACH_MODEL, ids=lambda v: getattr(v, "id", v))
def test_model_is_well_formed(provider: str, model: ModelInfo) -> None:
    assert model.provider == provider
    assert model.display_name
    assert 0 < model.max_output_tokens <= model.context_window
    assert model.capabilities.streaming
    assert model.base_url is None
    assert model.key_env_var is None
