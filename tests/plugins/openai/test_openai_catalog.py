"""The built-in OpenAI model catalog (liminal_openai/catalog.py); what every catalog must be is
in plugins/test_catalogs.py."""

from __future__ import annotations

import pytest

from liminal import ErrorCode, LiminalError, ModelInfo
from liminal.parameters import check_parameters
from liminal_openai.catalog import CHAT_PARAMETERS, MODELS, REASONING_MODELS, REASONING_PARAMETERS
from support.openai_fakes import model_registry


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_reasoning_models_refuse_sampling_parameters(model: ModelInfo) -> None:
    reasoning = model.id in REASONING_MODELS
    assert model.capabilities.reasoning is reasoning
    if reasoning:
        assert model.parameters == REASONING_PARAMETERS
        for name in ("temperature", "top_p", "stop"):
            with pytest.raises(LiminalError) as caught:
                check_parameters(model, {name: 1}, provider="openai")
            assert caught.value.code is ErrorCode.INVALID_REQUEST
    else:
        assert set(model.parameters) <= set(CHAT_PARAMETERS)
        assert "temperature" in model.parameters


def test_aliases_resolve_to_their_model() -> None:
    registry = model_registry()
    assert registry.resolve("4o").id == "gpt-4o"
    assert registry.resolve("gpt-5.6").id == "gpt-5.6-sol"
    assert registry.resolve("4t").id == "gpt-4-turbo"


def test_models_without_json_mode_take_no_response_format_schema() -> None:
    gpt4 = next(m for m in MODELS if m.id == "gpt-4")
    assert "response_format" not in gpt4.parameters
    assert not gpt4.capabilities.json_schema
