"""Checking ``config.json`` values before they are used: types and ranges, named by key.

The converter would read ``"fallbacks": {"gpt-4o": "smollm2"}`` one character at a time and
take ``"idle": -1`` as given; every request would then fail far from the cause. Unknown
keys are the converter's business (``forbid_extra_keys``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from liminal._files import BadSetting

__all__ = ["check_config"]

Check = Callable[[Any], str | None]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _above_zero(value: Any) -> str | None:
    return None if _number(value) and value > 0 else "must be a number above 0"


def _at_least_zero(value: Any) -> str | None:
    return None if _number(value) and value >= 0 else "must be a number, 0 or more"


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return None if ok else "must be a whole number, 1 or more"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _model_ids(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(m, str) and m.strip() for m in value):
        return None
    return 'must be a list of model ids, e.g. ["smollm2"]'


_RETRY: dict[str, Check] = {
    "max_attempts": _count,
    "base": _at_least_zero,
    "cap": _at_least_zero,
    "deadline": _at_least_zero,
    "retry_after_cap": _at_least_zero,
}
_TIMEOUTS: dict[str, Check] = {"connect": _above_zero, "idle": _above_zero, "total": _above_zero}
_CIRCUIT: dict[str, Check] = {"failures": _count, "cooldown": _at_least_zero}
_TOP: dict[str, Check] = {"key_check_ttl": _at_least_zero, "exact_token_counts": _flag}


def _object(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadSetting(f"{key} must be a JSON object (got {value!r})")
    return value


def _fields(section: Mapping[str, Any], prefix: str, checks: Mapping[str, Check]) -> None:
    for name, check in checks.items():
        if name in section and section[name] is not None:
            problem = check(section[name])
            if problem:
                raise BadSetting(f"{prefix}{name} {problem} (got {section[name]!r})")


def check_config(data: Any) -> None:
    """Raise :class:`BadSetting` naming the first unusable value of a parsed config file."""
    top = _object(data, "the file")
    if "retry" in top:
        _fields(_object(top["retry"], "retry"), "retry.", _RETRY)
    if "circuit" in top:
        _fields(_object(top["circuit"], "circuit"), "circuit.", _CIRCUIT)
    for name, section in _object(top.get("timeouts", {}), "timeouts").items():
        _fields(_object(section, f"timeouts.{name}"), f"timeouts.{name}.", _TIMEOUTS)
    for model, chain in _object(top.get("fallbacks", {}), "fallbacks").items():
        problem = _model_ids(chain)
        if problem:
            raise BadSetting(f"fallbacks.{model} {problem} (got {chain!r})")
    _fields(top, "", _TOP)
