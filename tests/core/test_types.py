"""The typed values: frozen, slotted attrs classes with the names the public API documents."""

from __future__ import annotations

import attrs
import pytest

from liminal._serialize import unstructure
from liminal.types import (
    COMMON_PARAMETERS,
    Capabilities,
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    KeyStatus,
    Message,
    ProviderInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)
from support.catalog import fake_model

VALUES = [
    ProviderInfo(id="p", display_name="P", service="pkg.mod:Service"),
    Capabilities(),
    fake_model("m-1"),
    Message(Role.USER, "hi"),
    ChatRequest(model="m-1", messages=(Message(Role.USER, "hi"),)),
    TextDelta("x"),
    Usage(1, 2),
    Finish(FinishReason.STOP),
    ChatResult(text="x", finish_reason=FinishReason.STOP, model="m-1"),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_are_frozen_and_slotted(value: object) -> None:
    first = attrs.fields(type(value))[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(value, first, getattr(value, first))
    assert not hasattr(value, "__dict__")


def test_finish_reasons_are_the_documented_ones() -> None:
    assert {r.value for r in FinishReason} == {
        "stop",
        "length",
        "content_filter",
        "tool_calls",
        "refusal",
        "context_window",
    }


def test_key_status_values() -> None:
    assert [s.value for s in KeyStatus] == ["valid", "invalid", "unknown"]


def test_roles() -> None:
    assert {r.value for r in Role} == {"system", "user", "assistant"}
    assert Role("user") is Role.USER


def test_stream_event_is_the_union_of_the_three_events() -> None:
    assert set(StreamEvent.__args__) == {TextDelta, Usage, Finish}  # type: ignore[attr-defined]


def test_capability_names_in_field_order() -> None:
    assert Capabilities().names() == ["streaming", "system_prompt"]
    caps = Capabilities(streaming=False, tools=True, vision=True, reasoning=True)
    assert caps.names() == ["tools", "vision", "reasoning", "system_prompt"]
    everything = Capabilities(True, True, True, True, True, True)
    assert everything.names() == [
        "streaming",
        "tools",
        "vision",
        "json_schema",
        "reasoning",
        "system_prompt",
    ]


def test_model_defaults() -> None:
    model = fake_model("m-1")
    assert model.parameters == COMMON_PARAMETERS
    assert model.capabilities == Capabilities()
    assert model.aliases == ()
    assert model.deprecated is False
    assert model.base_url is None


def test_provider_requires_a_key_by_default() -> None:
    assert ProviderInfo(id="p", display_name="P", service="m:S").requires_key is True


def test_chat_request_parameters_are_not_shared_between_instances() -> None:
    a = ChatRequest(model="m", messages=())
    b = ChatRequest(model="m", messages=())
    assert a.parameters is not b.parameters


def test_value_equality_is_by_fields() -> None:
    assert fake_model("m-1") == fake_model("m-1")
    assert fake_model("m-1") != fake_model("m-1", context_window=1)
    assert Message(Role.USER, "a") != Message(Role.ASSISTANT, "a")


def test_model_info_json_form_is_pinned() -> None:
    # `liminal models list --json` prints exactly this shape; scripts depend on it.
    model = fake_model(
        "m-1",
        display_name="Model One",
        context_window=8192,
        max_output_tokens=1024,
        aliases=("one",),
    )
    assert unstructure(model) == {
        "id": "m-1",
        "provider": "p",
        "display_name": "Model One",
        "context_window": 8192,
        "max_output_tokens": 1024,
        "capabilities": {
            "streaming": True,
            "tools": False,
            "vision": False,
            "json_schema": False,
            "reasoning": False,
            "system_prompt": True,
        },
        "aliases": ["one"],
        "deprecated": False,
        "parameters": list(COMMON_PARAMETERS),
        "base_url": None,
        "key_env_var": None,
    }


def test_chat_result_json_form_is_pinned() -> None:
    result = ChatResult(
        text="hello",
        finish_reason=FinishReason.LENGTH,
        model="m-1",
        usage=Usage(3, 5),
        request_id="req_1",
        raw_finish_reason="max_tokens",
    )
    assert unstructure(result) == {
        "text": "hello",
        "finish_reason": "length",
        "model": "m-1",
        "usage": {"input": 3, "output": 5},
        "request_id": "req_1",
        "raw_finish_reason": "max_tokens",
    }
