"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "check_event_stream": "liminal.provider",
        "drain": "liminal.provider",
        "ended_early": "liminal.provider",
        "guard_malformed": "liminal.provider",
        "malformed": "liminal.provider",
        "not_an_api_answer": "liminal.provider",
    },
)
