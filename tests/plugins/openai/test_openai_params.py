"""Liminal parameters to Chat Completions arguments (liminal_openai/params.py)."""

from __future__ import annotations

from typing import Any

import pytest

from liminal import ChatRequest, Message, ModelInfo, Role
from liminal.parameters import check_parameters
from liminal_openai.catalog import MODELS, REASONING_MODELS
from liminal_openai.params import chat_arguments, chat_messages

BY_ID = {m.id: m for m in MODELS}


def args(model_id: str, system: str | None = None, **parameters: Any) -> dict[str, Any]:
    request = ChatRequest(
        model_id, (Message(Role.USER, "hi"),), system=system, parameters=parameters
    )
    return chat_arguments(BY_ID[model_id], request)


def test_messages_put_the_system_prompt_first_and_keep_roles() -> None:
    request = ChatRequest(
        "gpt-4o",
        (
            Message(Role.USER, "one"),
            Message(Role.ASSISTANT, "two", model="gpt-4o"),
            Message(Role.USER, "three"),
        ),
        system="sys",
    )
    assert chat_messages(request) == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ]


def test_messages_without_system_prompt() -> None:
    request = ChatRequest("gpt-4o", (Message(Role.USER, "only"),), system="")
    assert chat_messages(request) == [{"role": "user", "content": "only"}]


def test_no_parameters_sends_only_model_and_messages() -> None:
    assert args("gpt-4o") == {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def test_sampling_parameters_pass_through_by_name() -> None:
    sent = args("gpt-4o", temperature=0.2, top_p=0.9, stop=["\n"], seed=42, max_tokens=10)
    assert sent["temperature"] == 0.2
    assert sent["top_p"] == 0.9
    assert sent["stop"] == ["\n"]
    assert sent["seed"] == 42
    assert sent["max_tokens"] == 10
    assert "max_completion_tokens" not in sent


@pytest.mark.parametrize("model_id", sorted(REASONING_MODELS))
def test_reasoning_models_get_max_completion_tokens(model_id: str) -> None:
    sent = args(model_id, max_tokens=64, reasoning_effort="high", seed=1)
    assert sent["max_completion_tokens"] == 64
    assert "max_tokens" not in sent
    assert sent["reasoning_effort"] == "high"
    assert sent["seed"] == 1


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("json", {"type": "json_object"}),
        ("json_object", {"type": "json_object"}),
        ("text", {"type": "text"}),
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        ),
    ],
)
def test_response_format(given: object, sent: dict[str, Any]) -> None:
    assert args("gpt-4o", response_format=given)["response_format"] == sent
    assert args("o3", response_format=given)["response_format"] == sent


def test_unknown_parameters_are_not_forwarded() -> None:
    # The core refuses them first (check_parameters); the mapping never invents arguments.
    assert "logit_bias" not in args("gpt-4o", logit_bias={})
    assert "extra_body" not in args("gpt-4o", temperature=0)


def test_top_k_goes_in_the_body_for_compatible_servers() -> None:
    # llama.cpp and vLLM read top_k from the JSON body; the SDK has no argument for it.
    sent = args("gpt-4o", top_k=3)
    assert "top_k" not in sent
    assert sent["extra_body"] == {"top_k": 3}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.id)
def test_every_catalog_parameter_the_core_accepts_is_mapped(model: ModelInfo) -> None:
    samples: dict[str, Any] = {
        "temperature": 0,
        "top_p": 1,
        "max_tokens": 5,
        "stop": "\n",
        "seed": 1,
        "response_format": "json",
        "reasoning_effort": "low",
    }
    parameters = {name: samples[name] for name in model.parameters}
    check_parameters(model, parameters, provider="openai")
    request = ChatRequest(model.id, (Message(Role.USER, "hi"),), parameters=parameters)
    sent = chat_arguments(model, request)
    tokens = "max_completion_tokens" if model.capabilities.reasoning else "max_tokens"
    assert sent[tokens] == 5
    for name in set(model.parameters) - {"max_tokens", "response_format"}:
        assert sent[name] == samples[name]
