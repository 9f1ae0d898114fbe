"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "ModelFamily": "liminal.provider",
    },
)
