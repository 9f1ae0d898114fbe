"""One cattrs converter owns every JSON form: round trips for each value (docs/decisions.md)."""

from __future__ import annotations

import json
from typing import Any

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liminal._serialize import converter, from_json, structure, to_json, unstructure
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    Role,
    TextDelta,
    Usage,
)
from liminal.ui import Preferences
from support.catalog import fake_model

from . import strategies as s

CASES = [pytest.param(cls, strategy, id=cls.__name__) for cls, strategy in s.BY_TYPE.items()]


def _only_json_types(data: Any) -> bool:
    if data is None or isinstance(data, (str, int, float, bool)):
        return True
    if isinstance(data, list):
        return all(_only_json_types(item) for item in data)
    if isinstance(data, dict):
        return all(isinstance(k, str) and _only_json_types(v) for k, v in data.items())
    return False


@pytest.mark.parametrize(("cls", "strategy"), CASES)
@given(data=st.data())
def test_structure_unstructure_round_trip(cls: type, strategy: Any, data: st.DataObject) -> None:
    value = data.draw(strategy)
    plain = unstructure(value)
    assert _only_json_types(plain), plain
    back = structure(plain, cls)
    assert back == value
    assert type(back) is cls
    # Equality would hide 1 vs True vs 1.0 in free-form parameters; the JSON form does not.
    assert unstructure(back) == plain
    assert json.dumps(unstructure(back), sort_keys=True) == json.dumps(plain, sort_keys=True)


@pytest.mark.parametrize(("cls", "strategy"), CASES)
@given(data=st.data())
def test_json_text_round_trip(cls: type, strategy: Any, data: st.DataObject) -> None:
    value = data.draw(strategy)
    text = to_json(value)
    back = from_json(text, cls)
    assert back == value
    assert to_json(back) == text
    assert from_json(to_json(value, indent=None), cls) == value


@given(s.chat_requests)
def test_chat_request_parameters_keep_their_json_types(request: ChatRequest) -> None:
    back = from_json(to_json(request), ChatRequest)
    for name, value in request.parameters.items():
        assert type(back.parameters[name]) is type(value), name


def test_enums_are_their_string_values() -> None:
    message = Message(Role.ASSISTANT, "hi", model="m")
    assert unstructure(message) == {"role": "assistant", "content": "hi", "model": "m"}
    assert unstructure(Finish(FinishReason.CONTEXT_WINDOW, "max_tokens")) == {
        "reason": "context_window",
        "raw_reason": "max_tokens",
    }


def test_tuples_become_lists_and_come_back_as_tuples() -> None:
    model = fake_model("m", aliases=("a", "b"))
    plain = unstructure(model)
    assert plain["aliases"] == ["a", "b"]
    assert structure(plain, ModelInfo).aliases == ("a", "b")


def test_defaults_are_written_out() -> None:
    # omit_if_default=False: every field is in the JSON, so readers never guess defaults.
    assert unstructure(Preferences()) == {"default_model": None}
    assert set(unstructure(Usage(1, 2))) == {"input", "output"}


def test_non_ascii_text_is_kept_verbatim_in_json() -> None:
    text = to_json(TextDelta("héllo — 世界"))
    assert "héllo — 世界" in text
    assert from_json(text, TextDelta) == TextDelta("héllo — 世界")


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"role": "wizard", "content": "x"}, Message),
        ({"content": "x"}, Message),
        ({"input": "many", "output": 1}, Usage),
        ({"reason": "done"}, Finish),
    ],
)
def test_bad_data_raises(data: dict[str, Any], cls: type) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        structure(data, cls)


def test_one_converter_is_shared() -> None:
    from liminal import _serialize as serialize

    assert serialize.converter is converter
    assert converter.unstructure(Usage(3, 4)) == unstructure(Usage(3, 4))
