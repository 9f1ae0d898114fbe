"""Fitting a conversation into a model's context window."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from liminal.types import Message, ModelInfo, Role

if TYPE_CHECKING:
    from liminal.store import StoredMessage

__all__ = [
    "CALIBRATION",
    "CONTEXT_MARGIN",
    "FittedHistory",
    "calibration",
    "estimate_tokens",
    "fit_history",
    "overflow_numbers",
]

#: Tokens kept free beside the answer for formatting overhead the estimate misses.
CONTEXT_MARGIN = 64
#: Bounds of the factor that corrects our token estimate from the provider's own counts.
CALIBRATION = (0.5, 4.0)


def estimate_tokens(messages: Sequence[Message]) -> int:
    """A conservative token count: about one token per three characters, plus framing."""
    return sum(math.ceil(len(m.content) / 3) + 4 for m in messages) + 2


def calibration(stored: Sequence[StoredMessage]) -> float:
    """How far off our estimate was, going by the latest answer the provider counted."""
    for message in reversed(stored):
        if message.usage and message.prompt_estimate and message.usage.input:
            low, high = CALIBRATION
            return min(max(message.usage.input / message.prompt_estimate, low), high)
    return 1.0


@attrs.frozen
class FittedHistory:
    messages: tuple[Message, ...]
    dropped: int
    budget: int


def fit_history(
    messages: Sequence[Message],
    model: ModelInfo,
    *,
    system: str | None = None,
    max_output: int | None = None,
    count: Callable[[list[Message]], int] | None = None,
) -> FittedHistory:
    """Drop the oldest turns until the history fits ``model``'s window.

    Never drops the system prompt or the newest user turn.
    """
    reserve = min(max_output or model.max_output_tokens, model.max_output_tokens)
    # A model whose window equals its output limit still needs room for the prompt.
    if reserve >= model.context_window:
        reserve = model.context_window // 2
    budget = max(model.context_window - reserve - CONTEXT_MARGIN, 1)
    counter = count or estimate_tokens
    fixed = [Message(Role.SYSTEM, system)] if system else []
    kept = list(messages)
    dropped = 0
    while len(kept) > 1 and counter(fixed + kept) > budget:
        kept.pop(0)
        dropped += 1
        # Never start a history on an assistant turn with its user turn gone.
        while len(kept) > 1 and kept[0].role is Role.ASSISTANT:
            kept.pop(0)
            dropped += 1
    return FittedHistory(tuple(kept), dropped, budget)


def overflow_numbers(message: str) -> tuple[int | None, int | None]:
    """(tokens the prompt needed, the limit) from a context-overflow message, if it says."""
    text = message.replace(",", "")
    for pattern, needed_first in _OVERFLOW_PATTERNS:
        found = re.search(pattern, text, re.IGNORECASE | re.DOTALL)
        if found:
            a, b = int(found.group(1)), int(found.group(2))
            return (a, b) if needed_first else (b, a)
    return None, None


_OVERFLOW_PATTERNS = (
    # OpenAI: "maximum context length is 8192 tokens. However, your messages resulted in 9000"
    (r"maximum context length is (\d+) tokens.*?resulted in (\d+) tokens", False),
    # llama.cpp: "request (832 tokens) exceeds the available context size (512 tokens)"
    (r"\((\d+) tokens?\) exceeds the available context size \((\d+) tokens?\)", True),
    # Anthropic and others: "prompt is too long: 210000 tokens > 200000 maximum", "(832 > 512)"
    (r"(\d+)\s*(?:tokens?)?\s*>\s*(\d+)", True),
)
