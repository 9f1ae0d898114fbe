"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "converter": "liminal._serialize",
        "from_json": "liminal.provider",
        "structure": "liminal.provider",
        "to_json": "liminal.provider",
        "unstructure": "liminal.provider",
    },
)
