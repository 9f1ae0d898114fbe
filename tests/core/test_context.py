"""Fitting a conversation into a model's window: oldest first, never the newest user turn."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liminal.context import CONTEXT_MARGIN, estimate_tokens, fit_history
from liminal.types import Message, ModelInfo, Role
from support.catalog import fake_model


def model(context_window: int, max_output_tokens: int) -> ModelInfo:
    return fake_model("m", context_window=context_window, max_output_tokens=max_output_tokens)


def chars(messages: Sequence[Message]) -> int:
    """A transparent counter: one token per character."""
    return sum(len(m.content) for m in messages)


def conversation(*contents: str) -> list[Message]:
    """Alternating user/assistant turns, starting with the user."""
    roles = [Role.USER, Role.ASSISTANT]
    return [Message(roles[i % 2], text) for i, text in enumerate(contents)]


# A history the way a chat builds it: user/assistant pairs, then the new user turn.
turn_text = st.text(alphabet="abcdefgh ", max_size=400)
histories = st.lists(st.tuples(turn_text, turn_text), max_size=12).flatmap(
    lambda pairs: turn_text.map(
        lambda last: [
            *[m for u, a in pairs for m in (Message(Role.USER, u), Message(Role.ASSISTANT, a))],
            Message(Role.USER, last),
        ]
    )
)
windows = st.tuples(
    st.integers(min_value=200, max_value=6000), st.integers(min_value=1, max_value=3000)
)


@given(histories, windows, st.none() | st.text(alphabet="xyz", max_size=300))
def test_fit_history_properties(
    history: list[Message], window: tuple[int, int], system: str | None
) -> None:
    target = model(*window)
    fitted = fit_history(history, target, system=system)
    kept = list(fitted.messages)
    fixed = [Message(Role.SYSTEM, system)] if system else []

    # reports the dropped count, and drops from the oldest end only
    assert fitted.dropped == len(history) - len(kept)
    assert kept == history[fitted.dropped :]
    # the newest user turn is always kept
    assert kept[-1] is history[-1]
    assert kept[-1].role is Role.USER
    # the system prompt is never part of what is dropped or returned
    assert all(m.role is not Role.SYSTEM for m in kept)
    # what is kept fits, unless only the newest turn is left
    assert len(kept) == 1 or estimate_tokens(fixed + kept) <= fitted.budget
    # a fitted history does not start with an orphaned assistant turn
    assert kept[0].role is Role.USER
    # nothing was dropped that did not have to be: the last start tried before it did not fit
    if fitted.dropped:
        tried = max(
            i for i in range(fitted.dropped) if i == 0 or history[i].role is not Role.ASSISTANT
        )
        assert estimate_tokens(fixed + history[tried:]) > fitted.budget


@given(histories)
def test_history_that_fits_is_untouched(history: list[Message]) -> None:
    fitted = fit_history(history, model(10**7, 1000))
    assert fitted.dropped == 0
    assert list(fitted.messages) == history


def test_budget_is_window_minus_output_minus_margin() -> None:
    fitted = fit_history(conversation("hi"), model(10_000, 1_000))
    assert fitted.budget == 10_000 - 1_000 - CONTEXT_MARGIN


def test_smaller_max_output_leaves_more_room() -> None:
    fitted = fit_history(conversation("hi"), model(10_000, 1_000), max_output=200)
    assert fitted.budget == 10_000 - 200 - CONTEXT_MARGIN


def test_window_equal_to_output_limit_still_leaves_room_for_the_prompt() -> None:
    fitted = fit_history(conversation("hi"), model(8192, 8192))
    assert fitted.budget == 8192 - 4096 - CONTEXT_MARGIN


def test_drops_oldest_first_with_exact_counter() -> None:
    # budget = 300 - 100 - 64 = 136 characters
    history = conversation("a" * 50, "b" * 50, "c" * 50, "d" * 50, "e" * 30)
    fitted = fit_history(history, model(300, 100), count=chars)
    assert fitted.budget == 136
    assert [m.content[0] for m in fitted.messages] == ["c", "d", "e"]
    assert fitted.dropped == 2


def test_system_prompt_counts_against_the_budget() -> None:
    history = conversation("a" * 50, "b" * 50, "c" * 50, "d" * 50, "e" * 30)
    without = fit_history(history, model(300, 100), count=chars)
    with_system = fit_history(history, model(300, 100), count=chars, system="s" * 60)
    assert with_system.dropped > without.dropped
    assert [m.content[0] for m in with_system.messages] == ["e"]


def test_newest_user_turn_kept_even_when_it_alone_is_too_big() -> None:
    history = conversation("a", "b", "x" * 10_000)
    fitted = fit_history(history, model(300, 100), count=chars, system="sys")
    assert list(fitted.messages) == [history[-1]]
    assert fitted.dropped == 2


def test_never_starts_on_an_assistant_turn() -> None:
    # dropping "a" alone would fit, but would leave the answer "bbbb" without its question
    history = conversation("a" * 40, "b" * 40, "c" * 40, "d" * 40, "e" * 20)
    fitted = fit_history(history, model(300, 100), count=chars)  # budget 136
    assert fitted.messages[0].role is Role.USER
    assert [m.content[0] for m in fitted.messages] == ["c", "d", "e"]


def test_empty_history() -> None:
    fitted = fit_history([], model(1000, 100))
    assert fitted.messages == ()
    assert fitted.dropped == 0


@pytest.mark.parametrize("text", ["", "a", "abc", "abcd", "x" * 300])
def test_estimate_is_conservative(text: str) -> None:
    # about 3 characters per token (real tokenizers average ~4) plus per-message framing
    assert estimate_tokens([Message(Role.USER, text)]) >= len(text) / 3 + 4


def test_estimate_grows_with_every_message() -> None:
    one = [Message(Role.USER, "hello")]
    assert estimate_tokens(one + one) > estimate_tokens(one) > estimate_tokens([])
