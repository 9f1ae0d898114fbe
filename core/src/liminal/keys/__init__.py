"""API keys: values and redaction (``secret``), the pool every request draws from (``pool``),
the key file (``file``) and what is known about each key's health (``health``).

Internal to Liminal: plugins get ``Secret`` from :mod:`liminal` and their key through
:class:`liminal.provider.ServiceContext`. The names 0.1 read from here still resolve, with a
``DeprecationWarning``.
"""

from __future__ import annotations

from liminal._deprecated import moved

__getattr__ = moved(
    globals(),
    {
        "ApiKeyManager": "liminal.keys.pool",
        "KeyEntry": "liminal.keys.pool",
        "KeyScope": "liminal.keys.pool",
        "KeySource": "liminal.keys.pool",
        "key_scope": "liminal.keys.pool",
        "RedactingFilter": "liminal.keys.secret",
        "Secret": "liminal",
        "redact": "liminal.keys.secret",
    },
)
