"""Checking request parameters (``-o NAME VALUE``) before anything is sent."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from liminal.errors import ErrorCode, LiminalError
from liminal.types import ModelInfo

__all__ = ["REASONING_EFFORTS", "check_parameters"]

#: Values across model generations (newer models add "none", "xhigh" and "max").
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


def _number(low: float, high: float | None) -> Callable[[Any, ModelInfo], str | None]:
    def check(value: Any, model: ModelInfo) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if not math.isfinite(value):  # NaN passes every comparison below
            return "must be a finite number"
        if value < low or (high is not None and value > high):
            return (
                f"must be between {low:g} and {high:g}"
                if high is not None
                else f"must be ≥ {low:g}"
            )
        return None

    return check


def _integer(
    low: int, high_of: Callable[[ModelInfo], int] | None = None
) -> Callable[[Any, ModelInfo], str | None]:
    def check(value: Any, model: ModelInfo) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        high = high_of(model) if high_of else None
        if value < low or (high is not None and value > high):
            return f"must be between {low} and {high}" if high is not None else f"must be ≥ {low}"
        return None

    return check


def _stop(value: Any, model: ModelInfo) -> str | None:
    if isinstance(value, str):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return None
    return "must be a string or a list of strings"


def _response_format(value: Any, model: ModelInfo) -> str | None:
    if value in ("text", "json", "json_object") or isinstance(value, dict):
        return None
    return 'must be "text", "json_object" or a JSON object'


def _effort(value: Any, model: ModelInfo) -> str | None:
    return None if value in REASONING_EFFORTS else "must be one of " + ", ".join(REASONING_EFFORTS)


_CHECKS: dict[str, Callable[[Any, ModelInfo], str | None]] = {
    "temperature": _number(0.0, 2.0),
    "top_p": _number(0.0, 1.0),
    "top_k": _integer(1),
    "max_tokens": _integer(1, lambda m: m.max_output_tokens),
    "seed": _integer(-(2**63)),
    "stop": _stop,
    "response_format": _response_format,
    "reasoning_effort": _effort,
}


def check_parameters(model: ModelInfo, parameters: Mapping[str, Any], *, provider: str) -> None:
    """Raise INVALID_REQUEST naming the first parameter ``model`` refuses or a bad value."""
    unknown = sorted(set(parameters) - set(model.parameters))
    if unknown:
        accepted = ", ".join(model.parameters) or "none"
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{model.id} does not accept the parameter {', '.join(unknown)}",
            hint=f"parameters {model.id} accepts: {accepted}",
            provider=provider,
            model=model.id,
        )
    for name, value in parameters.items():
        check = _CHECKS.get(name)
        problem = check(value, model) if check else None
        if problem:
            raise LiminalError(
                ErrorCode.INVALID_REQUEST,
                f"parameter {name} {problem} (got {value!r})",
                hint=f"fix the value given with -o {name}",
                provider=provider,
                model=model.id,
            )
