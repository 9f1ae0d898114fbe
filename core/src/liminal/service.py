"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "ClientPool": "liminal.provider",
        "LlmService": "liminal.provider",
        "NO_KEY_PLACEHOLDER": "liminal.provider.service",
        "Progress": "liminal.provider",
        "ServiceContext": "liminal.provider",
        "Timeouts": "liminal.provider",
        "current_key": "liminal.provider",
    },
)
