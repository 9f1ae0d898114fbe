"""One cattrs converter owns every JSON form (CLI ``--json``, preferences, key file, store)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.preconf.json import make_converter

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")

# forbid_extra_keys: a misspelled field in a user's file is an error, not silently ignored.
converter: cattrs.Converter = make_converter(omit_if_default=False, forbid_extra_keys=True)


def unstructure(value: Any) -> Any:
    """The JSON-ready form of a liminal value (dicts, lists, str, numbers)."""
    return converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Build a liminal value of ``cls`` from its JSON-ready form."""
    if attrs.has(cls) and not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object for {cls.__name__}, got {type(data).__name__}")
    return converter.structure(data, cls)


def to_json(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(unstructure(value), indent=indent, ensure_ascii=False)


def from_json(text: str, cls: type[T]) -> T:
    return structure(json.loads(text), cls)
