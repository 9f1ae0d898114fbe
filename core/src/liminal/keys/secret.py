"""Keys as values: the ``Secret`` type and redaction.

Standard library only, and imported by the lowest layer (errors redact their messages), so it
imports nothing of Liminal's.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["RedactingFilter", "Secret", "redact"]

# Key-shaped tokens: OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-) keys.
_KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
# Credentials a server or proxy may quote back: "Bearer <token>", "x-api-key: <token>".
_CREDENTIAL_PATTERN = re.compile(
    r"(?i)(\bbearer\s+|\bx-api-key['\"]?\s*[:=]\s*['\"]?)([A-Za-z0-9._~+/=\-]{6,})"
)
_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def _mask(value: str) -> str:
    if len(value) >= 12:
        return f"{value[:3]}…{value[-4:]}"
    return "…" + value[-2:] if len(value) > 4 else "…"


def redact(text: str) -> str:
    """``text`` with every known key and anything key-shaped masked."""
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, _mask(value))
    text = _CREDENTIAL_PATTERN.sub(lambda m: m.group(1) + _mask(m.group(2)), text)
    return _KEY_PATTERN.sub(lambda m: _mask(m.group(0)), text)


class Secret:
    """A key. ``str`` and ``repr`` show only a redacted form; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise ValueError("an API key cannot be empty")
        self._value = value
        if len(value) >= 8:
            with _known_lock:
                _known_secrets.add(value)

    def reveal(self) -> str:
        return self._value

    @property
    def last4(self) -> str:
        return self._value[-4:]

    def __str__(self) -> str:
        return _mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({_mask(self._value)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> str | tuple[object, ...]:  # never pickled into caches or logs
        raise TypeError("Secret cannot be pickled")


class RedactingFilter(logging.Filter):
    """Scrubs keys from log records (attach it to a handler): message, arguments, traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
