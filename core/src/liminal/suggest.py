"""``did you mean …?``: the closest known names to a mistyped one (standard library only)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean"]


def closest(name: str, known: Iterable[object], *, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to ``n`` of ``known`` that look like ``name``, most alike first."""
    return difflib.get_close_matches(name, [str(k) for k in known], n=n, cutoff=cutoff)


def did_you_mean(name: str, known: Iterable[object], where: str) -> str:
    """A hint naming the closest known names, and ``where`` to see them all."""
    close = closest(name, known)
    if close:
        return "did you mean " + ", ".join(close) + f"? (see {where})"
    return f"see {where}"
