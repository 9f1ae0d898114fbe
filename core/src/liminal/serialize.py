"""One cattrs converter owns every JSON form (CLI ``--json``, preferences, key file, store)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter

__all__ = ["converter", "from_json", "structure", "to_json", "unstructure"]

T = TypeVar("T")

converter: cattrs.Converter = make_converter(omit_if_default=False)


def unstructure(value: Any) -> Any:
    """The JSON-ready form of a liminal value (dicts, lists, str, numbers)."""
    return converter.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    """Build a liminal value of ``cls`` from its JSON-ready form."""
    return converter.structure(data, cls)


def to_json(value: Any, *, indent: int | None = 2) -> str:
    return json.dumps(unstructure(value), indent=indent, ensure_ascii=False)


def from_json(text: str, cls: type[T]) -> T:
    return structure(json.loads(text), cls)
