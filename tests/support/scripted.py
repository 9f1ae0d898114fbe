"""A scripted HTTP/1.1 server on 127.0.0.1 for the lean transport's tests
(tests/core/http1/): each connection's handler reads requests and sends exact bytes, odd and
hostile ones included, and the server counts the connections it accepts."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx2

from liminal.provider.http1 import Http1Transport

Handler = Callable[["Peer"], Awaitable[None]]
Serve = Callable[..., Awaitable["Server"]]

#: How long a test waits for something the server or the client should do at once.
SOON = 2.0
#: What one read from a socket takes at most in asyncio (its transports' max_size).
SOCKET_READ = 256 * 1024


# -- the scripted server ---------------------------------------------------------------------


@dataclass
class Received:
    """One request as the server read it (header names in lower case)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


class Peer:
    """One connection the server accepted; its handler reads requests and sends exact bytes."""

    def __init__(self, server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.raw = bytearray()  # every byte the client sent on this connection
        self.closed = asyncio.Event()  # the client closed its side
        self.done = asyncio.Event()  # the handler returned and the server closed its side

    async def _exactly(self, n: int) -> bytes:
        data = await self.reader.readexactly(n)
        self.raw += data
        return data

    async def _line(self) -> bytes:
        line = await self.reader.readuntil(b"\r\n")
        self.raw += line
        return line[:-2]

    async def request(self) -> Received | None:
        """The next request, or None once the client closed the connection between requests.

        Strict on the framing of the body: a wrong chunk is an error of the test's server,
        which fails the test."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            partial = getattr(exc, "partial", b"")
            self.raw += partial
            self.closed.set()
            assert not partial, f"the client closed in the middle of a request: {partial!r}"
            return None
        self.raw += head
        lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
        assert version == "HTTP/1.1"
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            assert colon, f"a request header line without a colon: {line!r}"
            assert name == name.strip(), f"a request header name with spaces: {line!r}"
            headers[name.lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            assert "content-length" not in headers
            parts = []
            while size := int(await self._line(), 16):
                parts.append(await self._exactly(size))
                assert await self._exactly(2) == b"\r\n", "a chunk without its CRLF"
            while await self._line():  # trailers, up to the empty line
                pass
            body = b"".join(parts)
        else:
            body = await self._exactly(int(headers.get("content-length", "0")))
        received = Received(method, target, headers, body)
        self.server.requests.append(received)
        return received

    async def send(self, *parts: bytes, pause: float = 0.0) -> None:
        """Each part in its own write, flushed; ``pause`` seconds after each but the last, so
        that they reach the client one by one."""
        for i, part in enumerate(parts):
            self.writer.write(part)
            await self.writer.drain()
            if pause and i < len(parts) - 1:
                await asyncio.sleep(pause)

    async def until_closed(self) -> None:
        """Read (and keep) whatever the client sends until it closes the connection."""
        with contextlib.suppress(ConnectionError):
            while data := await self.reader.read(65536):
                self.raw += data
        self.closed.set()


class Server:
    """A raw asyncio server on 127.0.0.1 that runs ``handler`` for each connection."""

    def __init__(self, handler: Handler, context: ssl.SSLContext | None) -> None:
        self.handler = handler
        self.context = context
        self.peers: list[Peer] = []
        self.requests: list[Received] = []
        self.errors: list[BaseException] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/path?q=1"

    @property
    def accepted(self) -> int:
        return len(self.peers)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, ssl=self.context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = Peer(self, reader, writer)
        self.peers.append(peer)
        try:
            await self.handler(peer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
        except Exception as exc:
            self.errors.append(exc)
        finally:
            writer.close()
            self._tasks.discard(task)
            peer.done.set()

    async def stop(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for peer in self.peers:
            peer.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.writer.wait_closed(), SOON)
        await self._server.wait_closed()


def answering(*answers: bytes) -> Handler:
    """Each request, on whichever connection, gets the next of ``answers`` (the last one
    repeats); a connection stays open until the client closes it."""

    async def handler(peer: Peer) -> None:
        while await peer.request() is not None:
            index = min(len(peer.server.requests), len(answers)) - 1
            await peer.send(answers[index])

    return handler


def scripted(*scripts: Callable[[Peer], Awaitable[None]]) -> Handler:
    """The n-th connection runs the n-th script (the last one repeats)."""

    async def handler(peer: Peer) -> None:
        index = min(len(peer.server.peers), len(scripts)) - 1
        await scripts[index](peer)

    return handler


def ok(body: bytes = b"ok", *headers: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    """A complete answer with a Content-Length."""
    extra = b"".join(header + b"\r\n" for header in headers)
    return b"%s 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (version, len(body), extra, body)


def chunked(*pieces: bytes, trailers: bytes = b"") -> bytes:
    """A complete chunked answer, one chunk per piece."""
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    for piece in pieces:
        wire += b"%x\r\n%s\r\n" % (len(piece), piece)
    return wire + b"0\r\n" + trailers + b"\r\n"


def lean_client(
    *,
    limits: httpx2.Limits | None = None,
    verify: ssl.SSLContext | bool = True,
    timeout: httpx2.Timeout | float = 5.0,
) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=Http1Transport(limits=limits, verify=verify), timeout=timeout
    )


async def closed_by_client(peer: Peer) -> None:
    """Fails unless the client closes this connection soon."""
    await asyncio.wait_for(peer.closed.wait(), SOON)


async def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SOON
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.01)
