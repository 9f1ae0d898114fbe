"""The built-in Anthropic model catalog (liminal_anthropic/catalog.py); what every catalog must
be is in plugins/test_catalogs.py."""

from __future__ import annotations

import pytest

from liminal import ErrorCode, LiminalError, ModelInfo
from liminal.parameters import check_parameters
from liminal_anthropic.catalog import FIXED_SAMPLING_PARAMETERS, MODELS, SAMPLING_PARAMETERS
from support.anthropic_fakes import model_registry


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_model_is_named_and_sized_as_claude(model: ModelInfo) -> None:
    assert model.id.startswith("claude-")
    assert model.display_name.startswith("Claude ")
    assert model.max_output_tokens < model.context_window
    assert model.capabilities.system_prompt
    assert "max_tokens" in model.parameters
    assert "stop" in model.parameters


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_sampling_parameters_match_what_the_model_accepts(model: ModelInfo) -> None:
    assert model.parameters in (SAMPLING_PARAMETERS, FIXED_SAMPLING_PARAMETERS)
    if model.parameters == FIXED_SAMPLING_PARAMETERS:
        with pytest.raises(LiminalError) as caught:
            check_parameters(model, {"temperature": 0}, provider="anthropic")
        assert caught.value.code is ErrorCode.INVALID_REQUEST
    else:
        check_parameters(model, {"temperature": 0, "top_k": 5}, provider="anthropic")


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        ("claude-opus", "claude-opus-5-5"),
        ("claude-sonnet", "claude-sonnet-5-5"),
        ("claude-haiku", "claude-haiku-5-5"),
        ("claude-fable", "claude-fable-5-2"),
        ("claude-haiku-4-5", "claude-haiku-4-5-20251001"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"),
    ],
)
def test_aliases_resolve_to_their_model(alias: str, model_id: str) -> None:
    assert model_registry().resolve(alias).id == model_id


def test_only_retired_or_retiring_models_are_deprecated() -> None:
    deprecated = {m.id for m in MODELS if m.deprecated}
    assert "claude-sonnet-4-5-20250929" in deprecated
    assert not any(
        m.id.startswith(("claude-opus-5", "claude-sonnet-5")) for m in MODELS if m.deprecated
    )
