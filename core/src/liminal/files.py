"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "BadSetting": "liminal.provider",
        "UserFile": "liminal.provider",
        "locked": "liminal._files",
        "write_atomically": "liminal.provider",
    },
)
