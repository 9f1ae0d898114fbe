"""``check_parameters``: refuse a parameter the model does not accept, or a bad value."""

from __future__ import annotations

from typing import Any

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.parameters import REASONING_EFFORTS, check_parameters
from liminal.types import COMMON_PARAMETERS, ModelInfo
from support.catalog import fake_model

ALL = (*COMMON_PARAMETERS, "top_k", "response_format", "reasoning_effort", "logit_bias")
MODEL = fake_model("m-1", context_window=10_000, max_output_tokens=4096, parameters=ALL)


def refused(parameters: dict[str, Any], model: ModelInfo = MODEL) -> LiminalError:
    with pytest.raises(LiminalError) as caught:
        check_parameters(model, parameters, provider="p")
    error = caught.value
    assert error.code is ErrorCode.INVALID_REQUEST
    assert error.exit_code == 2
    assert error.provider == "p"
    assert error.model == model.id
    return error


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"temperature": 0},
        {"temperature": 0.7, "top_p": 1, "max_tokens": 4096, "seed": -5},
        {"temperature": 2.0, "top_p": 0.0},
        {"stop": "END"},
        {"stop": ["a", "b"]},
        {"stop": []},
        {"top_k": 40},
        {"response_format": "json_object"},
        {"response_format": {"type": "json_schema", "json_schema": {}}},
        {"reasoning_effort": "high"},
        {"logit_bias": {"50256": -100}},  # accepted by the model, no value check
        {"seed": 2**62},
    ],
)
def test_accepted(parameters: dict[str, Any]) -> None:
    check_parameters(MODEL, parameters, provider="p")


def test_unknown_parameter_names_it_and_lists_the_accepted_ones() -> None:
    narrow = fake_model("reasoner", parameters=("max_tokens", "reasoning_effort"))
    error = refused({"temperature": 0.2, "max_tokens": 5}, narrow)
    assert "reasoner does not accept the parameter temperature" in error.message
    assert error.hint == "parameters reasoner accepts: max_tokens, reasoning_effort"


def test_several_unknown_parameters_are_all_named() -> None:
    narrow = fake_model("n", parameters=())
    error = refused({"top_p": 1, "seed": 1}, narrow)
    assert "seed" in error.message
    assert "top_p" in error.message
    assert error.hint == "parameters n accepts: none"


@pytest.mark.parametrize(
    ("parameters", "fragment"),
    [
        ({"temperature": 2.5}, "between 0 and 2"),
        ({"temperature": -0.1}, "between 0 and 2"),
        ({"temperature": "hot"}, "must be a number"),
        ({"temperature": True}, "must be a number"),
        ({"top_p": 1.5}, "between 0 and 1"),
        ({"max_tokens": 0}, "between 1 and 4096"),
        ({"max_tokens": 4097}, "between 1 and 4096"),
        ({"max_tokens": 10.5}, "whole number"),
        ({"max_tokens": False}, "whole number"),
        ({"top_k": 0}, "≥ 1"),
        ({"seed": "abc"}, "whole number"),
        ({"stop": 5}, "string or a list of strings"),
        ({"stop": ["a", 1]}, "string or a list of strings"),
        ({"response_format": "yaml"}, "json_object"),
        ({"reasoning_effort": "extreme"}, ", ".join(REASONING_EFFORTS)),
    ],
)
def test_bad_values(parameters: dict[str, Any], fragment: str) -> None:
    error = refused(parameters)
    name = next(iter(parameters))
    assert f"parameter {name}" in error.message
    assert fragment in error.message
    assert repr(parameters[name]) in error.message
    assert f"-o {name}" in (error.hint or "")
