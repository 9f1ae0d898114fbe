"""Liminal requests to Messages API arguments (liminal_anthropic/params.py)."""

from __future__ import annotations

from typing import Any

import pytest

from liminal import ChatRequest, Message, Role
from liminal_anthropic.catalog import MODELS
from liminal_anthropic.params import DEFAULT_MAX_TOKENS, message_arguments, messages_and_system
from support.anthropic_fakes import PROXIED_MODEL

BY_ID = {m.id: m for m in (*MODELS, PROXIED_MODEL)}
USER, ASSISTANT, SYSTEM = Role.USER, Role.ASSISTANT, Role.SYSTEM


def args(model_id: str, system: str | None = None, **parameters: Any) -> dict[str, Any]:
    request = ChatRequest(model_id, (Message(USER, "hi"),), system=system, parameters=parameters)
    return message_arguments(BY_ID[model_id], request)


def shape(*messages: Message, system: str | None = None) -> tuple[list[dict[str, str]], str | None]:
    return messages_and_system(ChatRequest("claude-sonnet-4-6", messages, system=system))


# -- messages and system ----------------------------------------------------------------------


def test_system_prompt_goes_apart_and_roles_alternate() -> None:
    messages, system = shape(
        Message(USER, "one"),
        Message(ASSISTANT, "two", model="gpt-4o"),
        Message(USER, "three"),
        system="Be brief.",
    )
    assert system == "Be brief."
    assert messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"},
    ]


def test_consecutive_turns_of_one_role_are_merged() -> None:
    messages, _ = shape(
        Message(USER, "first"),
        Message(USER, "second"),
        Message(ASSISTANT, "a"),
        Message(ASSISTANT, "b"),
        Message(USER, "third"),
    )
    assert messages == [
        {"role": "user", "content": "first\n\nsecond"},
        {"role": "assistant", "content": "a\n\nb"},
        {"role": "user", "content": "third"},
    ]


def test_a_history_starting_with_the_assistant_gets_a_user_turn_first() -> None:
    messages, _ = shape(Message(ASSISTANT, "How can I help?"), Message(USER, "Say hello"))
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"]  # the API refuses empty text
    assert messages[1:] == [
        {"role": "assistant", "content": "How can I help?"},
        {"role": "user", "content": "Say hello"},
    ]


def test_system_turns_in_the_history_join_the_system_prompt() -> None:
    messages, system = shape(
        Message(SYSTEM, "From another provider."),
        Message(USER, "hi"),
        Message(SYSTEM, "Later instruction."),
        Message(USER, "again"),
        system="Top.",
    )
    assert system == "Top.\n\nFrom another provider.\n\nLater instruction."
    assert messages == [{"role": "user", "content": "hi\n\nagain"}]


def test_no_system_prompt_is_none() -> None:
    assert shape(Message(USER, "hi"), system="") == ([{"role": "user", "content": "hi"}], None)


# -- arguments ------------------------------------------------------------------------------


def test_minimal_arguments_always_carry_max_tokens() -> None:
    assert args("claude-sonnet-4-6") == {
        "model": "claude-sonnet-4-6",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": DEFAULT_MAX_TOKENS,
    }


@pytest.mark.parametrize("model", [*MODELS, PROXIED_MODEL], ids=lambda m: m.id)
def test_default_max_tokens_is_the_model_limit_capped(model: Any) -> None:
    expected = min(model.max_output_tokens, DEFAULT_MAX_TOKENS)
    assert args(model.id)["max_tokens"] == expected


def test_default_max_tokens_below_the_cap_is_the_model_limit() -> None:
    assert PROXIED_MODEL.max_output_tokens < DEFAULT_MAX_TOKENS
    assert args(PROXIED_MODEL.id)["max_tokens"] == PROXIED_MODEL.max_output_tokens


def test_explicit_max_tokens_wins_even_above_the_cap() -> None:
    assert args("claude-sonnet-4-6", max_tokens=5)["max_tokens"] == 5
    assert args("claude-sonnet-4-6", max_tokens=20_000)["max_tokens"] == 20_000


def test_system_prompt_is_sent_as_system() -> None:
    sent = args("claude-sonnet-4-6", system="Be brief.")
    assert sent["system"] == "Be brief."
    assert all(m["role"] != "system" for m in sent["messages"])


@pytest.mark.parametrize(
    ("stop", "sequences"), [("END", ["END"]), (["\n\n", "Human:"], ["\n\n", "Human:"])]
)
def test_stop_becomes_stop_sequences(stop: str | list[str], sequences: list[str]) -> None:
    sent = args("claude-sonnet-4-6", stop=stop)
    assert sent["stop_sequences"] == sequences
    assert "stop" not in sent


def test_sampling_parameters_go_in_the_body_not_as_sdk_keywords() -> None:
    # anthropic 2.x has no temperature/top_p/top_k keywords; the API still takes them.
    sent = args("claude-sonnet-4-6", temperature=0, top_k=40)
    assert sent["extra_body"] == {"temperature": 0, "top_k": 40}
    assert not {"temperature", "top_p", "top_k"} & set(sent)


def test_top_p_alone_is_sent() -> None:
    assert args("claude-sonnet-4-6", top_p=0.9)["extra_body"] == {"top_p": 0.9}


def test_temperature_and_top_p_together_send_temperature_only() -> None:
    # Recent models refuse both at once (catalog.SAMPLING_PARAMETERS).
    sent = args("claude-haiku-4-5-20251001", temperature=0.5, top_p=0.9)
    assert sent["extra_body"] == {"temperature": 0.5}


def test_no_sampling_parameters_no_extra_body() -> None:
    assert "extra_body" not in args("claude-opus-5-5", max_tokens=10, stop="x")
