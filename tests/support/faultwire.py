"""Just enough HTTP/1.1 on asyncio streams for the fault front: one request per connection."""

from __future__ import annotations

import asyncio
import http
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PIPE_CHUNK",
    "Request",
    "closing_head",
    "encode_response",
    "read_request",
    "until_done_or_gone",
]

PIPE_CHUNK = 1 << 16
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "content-length", "transfer-encoding", "host"}
)
# Our answers always close, so what upstream says about the connection is dropped.
_RESPONSE_HOP_HEADERS = frozenset({"connection", "keep-alive"})
_REASONS = {529: "Overloaded"}

Headers = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def header(self, name: str) -> str | None:
        """A header's value; ``name`` in lower case."""
        return next((value for key, value in self.headers if key.lower() == name), None)

    def encode(self, *, target: str, host: str) -> bytes:
        """This request for another server and path, asking it to close after answering."""
        kept = [(k, v) for k, v in self.headers if k.lower() not in _HOP_HEADERS]
        kept += [("host", host), ("content-length", str(len(self.body))), ("connection", "close")]
        return _encode(f"{self.method} {target} HTTP/1.1", kept) + self.body


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One request with its body, or None when the client closed before sending one.

    :raises ValueError: on a malformed request.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
    method, target, _version = request_line.split(" ", 2)
    headers = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in header_lines)
    )
    request = Request(method, target, headers)
    length = request.header("content-length")
    if length is not None:
        body = await reader.readexactly(int(length))
    elif "chunked" in (request.header("transfer-encoding") or "").lower():
        body = await _read_chunked(reader)
    else:
        body = b""
    return Request(method, target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
        parts.append(await reader.readexactly(size))
        await reader.readline()
    while (await reader.readline()).strip():
        pass  # trailers
    return b"".join(parts)


def closing_head(head: bytes) -> bytes:
    """A response head as received, with ``connection: close`` as its only connection header."""
    status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    kept = [
        line
        for line in lines
        if line.partition(":")[0].strip().lower() not in _RESPONSE_HOP_HEADERS
    ]
    return "\r\n".join([status_line, *kept, "connection: close", "", ""]).encode("latin-1")


def encode_response(status: int, headers: Headers, body: bytes, content_type: str) -> bytes:
    """A complete response that closes the connection."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = _REASONS.get(status, "Error")
    framing = [
        ("content-type", content_type),
        ("content-length", str(len(body))),
        ("connection", "close"),
    ]
    return _encode(f"HTTP/1.1 {status} {reason}", [*framing, *headers]) + body


def _encode(first_line: str, headers: Headers) -> bytes:
    lines = [first_line, *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def until_done_or_gone(work: Coroutine[Any, Any, None], reader: asyncio.StreamReader) -> None:
    """Run ``work``, cancelling it if the client hangs up first (e.g. during a stall)."""
    serving = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_until_eof(reader))
    try:
        await asyncio.wait({serving, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        serving.cancel()
        await asyncio.gather(gone, serving, return_exceptions=True)
    error = serving.exception() if serving.done() and not serving.cancelled() else None
    if error is not None:
        raise error


async def _until_eof(reader: asyncio.StreamReader) -> None:
    while await reader.read(PIPE_CHUNK):
        pass
