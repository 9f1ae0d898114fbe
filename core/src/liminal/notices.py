"""What a conversation tells the person behind it, besides the answer: messages left out to
fit a window, a prompt sent again after an overflow, another model answering, an answer cut
at its limit, a model switch. Each has ``describe()``: the line the CLI prints on stderr."""

from __future__ import annotations

import attrs

from liminal.fallback import FallbackNotice
from liminal.types import FinishReason

__all__ = ["AnsweredBy", "Notice", "Refitted", "Stopped", "Switched", "Trimmed"]

_CUT = {FinishReason.LENGTH: "the output limit", FinishReason.CONTEXT_WINDOW: "the context window"}


@attrs.frozen
class Trimmed:
    model: str
    dropped: int

    def describe(self) -> str:
        return f"(left out the {self.dropped} oldest messages to fit {self.model}'s context window)"


@attrs.frozen
class Refitted:
    """The provider said the prompt was too long; it was trimmed further and sent once more."""

    model: str
    needed: int | None
    limit: int | None
    dropped: int

    def describe(self) -> str:
        numbers = (
            f" ({self.needed:,} > {self.limit:,} tokens)" if self.needed and self.limit else ""
        )
        return (
            f"(the conversation did not fit {self.model}'s window{numbers}; left out the "
            f"{self.dropped} oldest messages and sent it again)"
        )


@attrs.frozen
class AnsweredBy:
    asked: str
    model: str

    def describe(self) -> str:
        return f"(answered by {self.model})"


@attrs.frozen
class Stopped:
    reason: FinishReason

    def describe(self) -> str:
        return f"(the answer stopped at {_CUT.get(self.reason, self.reason.value)})"


@attrs.frozen
class Switched:
    model: str
    kept: int
    #: Of the kept messages, how many will not fit the new model's window.
    left_out: int

    def describe(self) -> str:
        fit = f"; the oldest {self.left_out} do not fit its window" if self.left_out else ""
        noun = "message" if self.kept == 1 else "messages"
        return f"Switched to {self.model}; {self.kept} {noun} kept{fit}."


Notice = Trimmed | Refitted | AnsweredBy | Stopped | FallbackNotice
