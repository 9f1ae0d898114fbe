"""Text a user types or pipes in must be UTF-8: anything else is INVALID_REQUEST, named."""

from __future__ import annotations

from liminal.errors import ErrorCode, LiminalError

__all__ = ["decoded", "utf8_text"]

_HINT = "convert it to UTF-8 first, e.g. with `iconv -f latin1 -t utf-8`"


def _not_utf8(where: str, exc: UnicodeDecodeError) -> LiminalError:
    byte = exc.object[exc.start]
    return LiminalError(
        ErrorCode.INVALID_REQUEST,
        f"{where} is not UTF-8 text (byte 0x{byte:02x} at position {exc.start})",
        hint=_HINT,
    )


def decoded(data: bytes, where: str) -> str:
    """``data`` as UTF-8 text, else INVALID_REQUEST naming ``where`` and the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(where, exc) from None


def utf8_text(text: str, where: str) -> str:
    """``text`` if it can be sent; Python hands undecodable bytes of argv or stdin over as
    lone surrogates, which would fail much later (in SQLite or the HTTP client)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return decoded(text.encode("utf-8", "surrogateescape"), where)
    return text
