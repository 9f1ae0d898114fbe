"""Deprecated: 0.1's path for these names. Import them from :mod:`liminal.provider`."""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "error_from_body": "liminal.provider",
        "error_from_exception": "liminal.provider",
        "error_from_http": "liminal.provider",
        "error_from_sdk": "liminal.provider",
        "parse_retry_after": "liminal.provider",
        "transport_error": "liminal.provider",
    },
)
