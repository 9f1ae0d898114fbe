"""``liminal.provider.http1``: the lean HTTP/1.1 transport, used through ``httpx2.AsyncClient``
as the SDKs use it, against scripted servers on 127.0.0.1 that send exact bytes (odd and
hostile ones included) and count the connections they accept."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liminal.provider.http import http_client
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


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(handler)``: a started server, stopped after the test; an error in a
    handler (a request the server could not read) fails the test."""
    servers: list[Server] = []

    async def start(handler: Handler, *, context: ssl.SSLContext | None = None) -> Server:
        server = Server(handler, context)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
    errors = [error for server in servers for error in server.errors]
    assert not errors, f"the test's server failed: {errors!r}"


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


def keep_answering(answer: bytes) -> Callable[[Peer], Awaitable[None]]:
    return answering(answer)


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


# -- answers and their bodies ---------------------------------------------------------------


async def test_a_chunked_body_with_extensions_and_trailers(serve: Serve) -> None:
    wire = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Before: 1\r\n\r\n"
        b"5;foo=bar\r\nhello\r\n"
        b'1 ; name="quoted;value"\r\n \r\n'
        b"A\r\n0123456789\r\n"
        b"0;last\r\nX-Checksum: abc\r\nX-Other: 2\r\n\r\n"
    )
    server = await serve(answering(wire, ok(b"second")))
    async with lean_client() as client:
        first = await client.get(server.url)
        second = await client.get(server.url)
    assert (first.status_code, first.content) == (200, b"hello 0123456789")
    assert first.headers["x-before"] == "1"
    # The trailers were read to their end: the next answer on the same connection is whole.
    assert second.content == b"second"
    assert server.accepted == 1
    assert server.requests[0].target == "/path?q=1"


async def test_a_content_length_body(serve: Serve) -> None:
    body = bytes(range(256)) * 40
    server = await serve(answering(ok(body), ok(b"second")))
    async with lean_client() as client:
        first = await client.get(server.url)
        second = await client.get(server.url)
    assert first.content == body
    assert second.content == b"second"
    assert server.accepted == 1


@pytest.mark.parametrize(
    "head", [b"HTTP/1.1 200 OK\r\n\r\n", b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\n"]
)
async def test_a_body_until_the_server_closes(serve: Serve, head: bytes) -> None:
    async def once(peer: Peer) -> None:
        await peer.request()
        await peer.send(head, b"part one, ", b"part two", pause=0.02)

    server = await serve(scripted(once))
    async with lean_client() as client:
        first = await client.get(server.url)
        second = await client.get(server.url)
    assert first.content == second.content == b"part one, part two"
    assert server.accepted == 2


@pytest.mark.parametrize(
    ("answer", "reused"),
    [
        (ok(), True),
        (ok(b"ok", b"Connection: close"), False),
        (ok(b"ok", b"Connection: Close, TE"), False),
        (ok(version=b"HTTP/1.0"), False),
        (ok(b"ok", b"Connection: keep-alive", version=b"HTTP/1.0"), True),
        (chunked(b"ok", trailers=b"Connection: close\r\n"), True),  # a trailer is no header
    ],
)
async def test_which_answers_leave_the_connection_open(
    serve: Serve, answer: bytes, reused: bool
) -> None:
    server = await serve(answering(answer))
    async with lean_client() as client:
        for _ in range(2):
            assert (await client.get(server.url)).content == b"ok"
        assert server.accepted == (1 if reused else 2)
        if not reused:  # the transport closed the first connection: nothing leaks
            await closed_by_client(server.peers[0])


async def test_head_has_no_body_whatever_its_headers_say(serve: Serve) -> None:
    head_answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n"
    server = await serve(answering(head_answer, ok(b"next")))
    async with lean_client(timeout=1.0) as client:
        head = await client.head(server.url)
        after = await client.get(server.url)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == "1000"
    assert after.content == b"next"
    assert server.accepted == 1
    assert server.requests[0].method == "HEAD"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
        b'HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\nETag: "x"\r\n\r\n',
    ],
)
async def test_204_and_304_have_no_body(serve: Serve, answer: bytes) -> None:
    server = await serve(answering(answer, ok(b"next")))
    async with lean_client(timeout=1.0) as client:
        first = await client.get(server.url)
        after = await client.get(server.url)
    assert first.content == b""
    assert first.status_code in (204, 304)
    assert after.content == b"next"
    assert server.accepted == 1


async def test_informational_answers_before_the_final_one_are_skipped(serve: Serve) -> None:
    async def once(peer: Peer) -> None:
        await peer.request()
        await peer.send(
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nfinal",
            pause=0.02,
        )
        await peer.until_closed()

    server = await serve(scripted(once))
    async with lean_client() as client:
        response = await client.post(server.url, content=b"payload")
    assert (response.status_code, response.content) == (201, b"final")
    assert "link" not in response.headers
    assert response.reason_phrase == "Created"


# -- any cut of the server's bytes gives back the body ---------------------------------------


@st.composite
def cuts(draw: st.DrawFn, segments: list[tuple[bytes, bool]]) -> list[bytes]:
    """The answer made of ``segments`` (bytes, and whether they are framing rather than body
    data), cut into writes: anywhere, and half the time around a CR or LF of the framing or
    at the edge of the data, where a parser keeps state from one read to the next."""
    marks: set[int] = set()
    at = 0
    for segment, framing in segments:
        if framing:
            marks.update(
                at + i + d for i, byte in enumerate(segment) if byte in b"\r\n" for d in (0, 1)
            )
        marks.update((at, at + len(segment)))
        at += len(segment)
    wire = b"".join(segment for segment, _ in segments)
    position = st.integers(1, len(wire) - 1) | st.sampled_from(
        sorted(m for m in marks if 0 < m < len(wire))
    )
    points = sorted(set(draw(st.lists(position, max_size=12))))
    bounds = [0, *points, len(wire)]
    return [wire[a:b] for a, b in itertools.pairwise(bounds) if b > a]


bodies = st.binary(min_size=2, max_size=600) | st.binary(min_size=1000, max_size=5000)


@st.composite
def chunked_answers(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """A body, and the writes of a chunked answer that carries it (with extensions and
    trailers), cut anywhere."""
    body = draw(bodies)
    points = sorted(set(draw(st.lists(st.integers(1, len(body) - 1), max_size=6))))
    bounds = [0, *points, len(body)]
    segments = [(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", True)]
    for a, b in itertools.pairwise(bounds):
        size = draw(st.sampled_from(["%x", "%X", "%03x"])) % (b - a)
        extension = draw(st.sampled_from([b"", b";a=b", b" ;x", b';q="1;2"']))
        segments += [(b"%s%s\r\n" % (size.encode(), extension), True), (body[a:b], False)]
        segments.append((b"\r\n", True))
    trailers = draw(st.sampled_from([b"", b"X-T: 1\r\n", b"A: 1\r\nB: \r\n"]))
    segments.append((b"0\r\n" + trailers + b"\r\n", True))
    return body, draw(cuts(segments))


@st.composite
def sized_answers(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    body = draw(bodies)
    answer = ok(body)
    return body, draw(cuts([(answer[: -len(body)], True), (body, False)]))


def roundtrip(writes: list[bytes]) -> tuple[bytes, bytes, int]:
    """The first answer sent as ``writes``, then a second one on the same connection: the
    two bodies as the client read them, and how many connections the server accepted."""

    async def first_as_writes(peer: Peer) -> None:
        await peer.request()
        await peer.send(*writes, pause=0.002)
        await answering(ok(b"end"))(peer)

    async def run() -> tuple[bytes, bytes, int]:
        server = Server(scripted(first_as_writes), None)
        await server.start()
        try:
            async with lean_client() as client:
                async with client.stream("GET", server.url) as response:
                    pieces = [piece async for piece in response.aiter_raw()]
                second = await client.get(server.url)
        finally:
            await server.stop()
        assert not server.errors
        assert all(pieces), "an empty piece"
        return b"".join(pieces), second.content, server.accepted

    return asyncio.run(run())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunked_answers())
def test_any_cut_of_a_chunked_answer_gives_the_body(answer: tuple[bytes, list[bytes]]) -> None:
    body, writes = answer
    assert roundtrip(writes) == (body, b"end", 1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sized_answers())
def test_any_cut_of_a_sized_answer_gives_the_body(answer: tuple[bytes, list[bytes]]) -> None:
    body, writes = answer
    assert roundtrip(writes) == (body, b"end", 1)


# -- keep-alive and the pool -----------------------------------------------------------------


async def test_two_requests_in_a_row_share_one_connection(serve: Serve) -> None:
    server = await serve(answering(ok(b"one"), chunked(b"t", b"wo"), ok(b"three")))
    async with lean_client() as client:
        bodies = [(await client.get(server.url)).content for _ in range(3)]
    assert bodies == [b"one", b"two", b"three"]
    assert server.accepted == 1
    assert len(server.requests) == 3


async def test_a_connection_the_server_closed_while_idle_is_not_reused(serve: Serve) -> None:
    async def answer_then_close(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok(b"first"))  # keep-alive by default, then closed anyway

    server = await serve(scripted(answer_then_close, keep_answering(ok(b"second"))))
    async with lean_client() as client:
        assert (await client.get(server.url)).content == b"first"
        await asyncio.wait_for(server.peers[0].done.wait(), SOON)
        await asyncio.sleep(0.05)  # the FIN reaches the client
        assert (await client.get(server.url)).content == b"second"
    assert server.accepted == 2


async def test_a_connection_with_unasked_for_bytes_is_not_reused(serve: Serve) -> None:
    async def answer_then_junk(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok(b"first"))
        await asyncio.sleep(0.05)
        await peer.send(ok(b"stale"))  # an answer to no request
        await peer.until_closed()

    server = await serve(scripted(answer_then_junk, keep_answering(ok(b"fresh"))))
    async with lean_client() as client:
        assert (await client.get(server.url)).content == b"first"
        await asyncio.sleep(0.15)
        assert (await client.get(server.url)).content == b"fresh"
        assert server.accepted == 2
        await closed_by_client(server.peers[0])


async def test_extra_bytes_after_a_body_close_the_connection(serve: Serve) -> None:
    server = await serve(scripted(answering(ok(b"first") + b"HTTP/1.1 200"), answering(ok())))
    async with lean_client() as client:
        assert (await client.get(server.url)).content == b"first"
        assert (await client.get(server.url)).content == b"ok"
        assert server.accepted == 2
        await closed_by_client(server.peers[0])


@pytest.mark.parametrize(
    "body_parts",
    [[b"late body"], [b"a" * (250 * 1024), b"b" * (20 * 1024)]],
    ids=["small", "over 256 KiB"],
)
async def test_a_connection_pooled_with_reading_paused_still_sees_the_server_close_it(
    serve: Serve, body_parts: list[bytes]
) -> None:
    # A body that arrives while nobody reads it: the transport stops reading from the socket
    # (flow control). Once the body is read, it must read again, or it never sees the
    # server's FIN and reuses a dead connection.
    body = b"".join(body_parts)

    async def late_body_then_close(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
        await asyncio.sleep(0.05)
        await peer.send(*body_parts, pause=0.05)
        await asyncio.sleep(0.3)  # the client reads the body and pools the connection

    server = await serve(scripted(late_body_then_close, keep_answering(ok(b"second"))))
    async with lean_client() as client:
        async with client.stream("GET", server.url) as response:
            await asyncio.sleep(0.2)  # the body arrives while nobody reads it
            assert await response.aread() == body
        await asyncio.wait_for(server.peers[0].done.wait(), SOON)
        await asyncio.sleep(0.05)
        assert (await client.get(server.url)).content == b"second"
    assert server.accepted == 2


@pytest.mark.parametrize(("expiry", "reused"), [(0.1, False), (10.0, True)])
async def test_keepalive_expiry(serve: Serve, expiry: float, reused: bool) -> None:
    server = await serve(answering(ok()))
    limits = httpx2.Limits(keepalive_expiry=expiry)
    async with lean_client(limits=limits) as client:
        await client.get(server.url)
        await asyncio.sleep(0.25)
        await client.get(server.url)
        assert server.accepted == (1 if reused else 2)
        if not reused:  # the expired connection was closed, not dropped open
            await closed_by_client(server.peers[0])


@pytest.mark.parametrize("max_idle", [0, 1, 2])
async def test_max_keepalive_connections(serve: Serve, max_idle: int) -> None:
    server = await serve(answering(ok(b"x" * 100)))
    limits = httpx2.Limits(max_connections=10, max_keepalive_connections=max_idle)
    async with lean_client(limits=limits) as client:
        async with contextlib.AsyncExitStack() as stack:
            streams = [
                await stack.enter_async_context(client.stream("GET", server.url)) for _ in range(3)
            ]
            assert server.accepted == 3
            for stream in streams:
                assert await stream.aread() == b"x" * 100
        # All three answers were read to their end: only max_idle connections stay open.
        await eventually(lambda: sum(p.closed.is_set() for p in server.peers) == 3 - max_idle)
        await asyncio.sleep(0.05)
        assert sum(p.closed.is_set() for p in server.peers) == 3 - max_idle
        # ... and they are used again.
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(max_idle):
                await stack.enter_async_context(client.stream("GET", server.url))
        assert server.accepted == 3


async def test_a_body_closed_before_its_end_does_not_go_back_to_the_pool(serve: Serve) -> None:
    async def half(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789")
        await peer.until_closed()

    server = await serve(scripted(half, keep_answering(ok(b"whole"))))
    async with lean_client() as client:
        async with client.stream("GET", server.url) as response:
            async for piece in response.aiter_raw():
                assert piece == b"0123456789"
                break
        assert (await client.get(server.url)).content == b"whole"
        assert server.accepted == 2
        await closed_by_client(server.peers[0])


async def test_aclose_closes_the_idle_connections(serve: Serve) -> None:
    server = await serve(answering(ok()))
    transport = Http1Transport()
    async with httpx2.AsyncClient(transport=transport) as client:
        await client.get(server.url)
        assert not server.peers[0].closed.is_set()
        await transport.aclose()
        await closed_by_client(server.peers[0])
        with pytest.raises(httpx2.ConnectError):
            await client.get(server.url)
    assert server.accepted == 1


# -- limits on connections and waiting for one ----------------------------------------------


async def test_pool_timeout_while_the_only_connection_is_held(serve: Serve) -> None:
    server = await serve(answering(ok()))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.2)) as client:
        async with client.stream("GET", server.url) as held:
            start = time.monotonic()
            with pytest.raises(httpx2.PoolTimeout):
                await client.get(server.url)
            assert time.monotonic() - start < 1.0
            assert await held.aread() == b"ok"
        # The request that gave up holds no slot: the next one gets the idle connection.
        assert (await client.get(server.url)).content == b"ok"
    assert server.accepted == 1


@pytest.mark.parametrize("read_to_end", [True, False])
async def test_a_waiting_request_gets_the_connection_once_the_first_is_done(
    serve: Serve, read_to_end: bool
) -> None:
    server = await serve(answering(ok(b"first"), ok(b"second")))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=1.0)) as client:
        async with client.stream("GET", server.url) as first:
            waiting = asyncio.create_task(client.get(server.url))
            await asyncio.sleep(0.1)
            assert not waiting.done()
            assert server.accepted == 1
            start = time.monotonic()
            if read_to_end:  # the connection goes back to the pool
                assert await first.aread() == b"first"
        second = await waiting  # not a PoolTimeout
        assert time.monotonic() - start < 0.5
    assert second.content == b"second"
    assert len(server.requests) == 2


async def test_an_idle_connection_to_another_origin_makes_room(serve: Serve) -> None:
    first, second = await serve(answering(ok(b"a"))), await serve(answering(ok(b"b")))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.5)) as client:
        assert (await client.get(first.url)).content == b"a"
        assert (await client.get(second.url)).content == b"b"  # not a PoolTimeout
        await closed_by_client(first.peers[0])


async def test_the_connection_slot_is_freed_after_errors(serve: Serve) -> None:
    async def hang_up(peer: Peer) -> None:
        await peer.request()

    server = await serve(scripted(hang_up, hang_up, keep_answering(ok())))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.5)) as client:
        for _ in range(2):
            with pytest.raises(httpx2.RemoteProtocolError):
                await client.get(server.url)
        assert (await client.get(server.url)).content == b"ok"


# -- errors ----------------------------------------------------------------------------------


async def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.5)) as client:
        for _ in range(2):  # the failed connection gave its slot back: no PoolTimeout
            with pytest.raises(httpx2.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")


async def test_a_server_that_hangs_up_without_an_answer(serve: Serve) -> None:
    async def hang_up(peer: Peer) -> None:
        await peer.request()

    server = await serve(scripted(hang_up))
    async with lean_client() as client:
        with pytest.raises(httpx2.RemoteProtocolError, match="without sending an answer"):
            await client.get(server.url)


@pytest.mark.parametrize(
    ("script", "error", "match"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            httpx2.RemoteProtocolError,
            "incomplete",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
            httpx2.RemoteProtocolError,
            "incomplete",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n",
            httpx2.RemoteProtocolError,
            "incomplete",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf", httpx2.TransportError, None),
        (b"HTTP/1.1 200 OK\r\nContent-Len", httpx2.RemoteProtocolError, "without sending"),
    ],
    ids=["chunk-data", "chunk-end", "trailers", "content-length", "head"],
)
async def test_an_answer_cut_short(
    serve: Serve, script: bytes, error: type[Exception], match: str | None
) -> None:
    async def truncated(peer: Peer) -> None:
        await peer.request()
        await peer.send(script)

    server = await serve(scripted(truncated))
    async with lean_client() as client:
        with pytest.raises(error, match=match):
            await client.get(server.url)


@pytest.mark.parametrize(
    "head",
    [b"HTTP/1.1 200 OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"],
    ids=["until close", "content-length"],
)
async def test_a_reset_in_the_middle_of_a_body_is_a_read_error(serve: Serve, head: bytes) -> None:
    async def reset(peer: Peer) -> None:
        await peer.request()
        await peer.send(head, b"partial", pause=0.02)
        await asyncio.sleep(0.05)
        sock = peer.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.writer.transport.abort()  # an RST, not a FIN: not the end of the body

    server = await serve(scripted(reset))
    async with lean_client() as client:
        with pytest.raises(httpx2.ReadError):
            await client.get(server.url)


BIG_HEADER = b"X-Big: " + b"a" * (70 * 1024) + b"\r\n"


@pytest.mark.parametrize(
    ("script", "match"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", "size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n", "size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n", "size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhi\r\n0\r\n\r\n", "size"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\n" % (b"f" * 17),
            "size",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n",
            "CRLF",
        ),
        (  # the same, the chunk cut by the end of a read
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                b"loXX\r\n0\r\n\r\n",
            ),
            "CRLF",
        ),
        (
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r", b"X0\r\n\r\n"),
            "CRLF",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;%s" % (b"x" * 5000),
            "too long",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: %s" % (b"x" * 5000),
            "too long",
        ),
        (b"HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\n: empty-name\r\nContent-Length: 0\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n", "malformed header"),
        (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", "malformed"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "HTTP/1.1"),
        (b"ICY 200 OK\r\n\r\n", "HTTP/1.1"),
        (b"HTTP/1.1\r\n\r\n", "HTTP/1.1"),
        (b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "status"),
        (b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", "status"),
        (b"HTTP/1.1 200 OK\r\n" + BIG_HEADER + b"Content-Length: 0\r\n\r\n", "64 KiB"),
        (b"HTTP/1.1 200 OK\r\n" + BIG_HEADER, "64 KiB"),  # and nothing more, for now
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!", "Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n", "Length"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "transfer-encoding"),
        (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "switched"),
    ],
)
async def test_a_malformed_answer_is_a_protocol_error(
    serve: Serve, script: bytes | tuple[bytes, ...], match: str
) -> None:
    async def hostile(peer: Peer) -> None:
        await peer.request()
        await peer.send(*(script if isinstance(script, tuple) else (script,)), pause=0.05)
        await peer.until_closed()  # open: the error is the bytes', not the end's

    server = await serve(scripted(hostile))
    async with lean_client(timeout=3.0) as client:
        with pytest.raises(httpx2.RemoteProtocolError, match=match):
            await client.get(server.url)
        await closed_by_client(server.peers[0])


async def test_duplicate_equal_content_lengths_are_one(serve: Serve) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\nhello"
    server = await serve(answering(answer))
    async with lean_client() as client:
        assert (await client.get(server.url)).content == b"hello"


@pytest.mark.parametrize("stall", ["before the head", "in the body", "in a chunk"])
async def test_read_timeout(serve: Serve, stall: str) -> None:
    sent = {
        "before the head": b"",
        "in the body": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234",
        "in a chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01",
    }[stall]

    async def stalled(peer: Peer) -> None:
        await peer.request()
        await peer.send(sent)
        await peer.until_closed()

    server = await serve(scripted(stalled))
    async with lean_client(timeout=httpx2.Timeout(5.0, read=0.2)) as client:
        start = time.monotonic()
        with pytest.raises(httpx2.ReadTimeout):
            await client.get(server.url)
        assert 0.15 < time.monotonic() - start < 1.0
        await closed_by_client(server.peers[0])


async def test_a_steady_trickle_is_no_read_timeout(serve: Serve) -> None:
    async def trickle(peer: Peer) -> None:
        await peer.request()
        pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in [b"ab"] * 6]
        await peer.send(chunked()[:-5], *pieces, b"0\r\n\r\n", pause=0.1)

    server = await serve(scripted(trickle))
    async with lean_client(timeout=httpx2.Timeout(5.0, read=0.3)) as client:
        assert (await client.get(server.url)).content == b"ab" * 6  # 0.6 s in all


async def test_a_shorter_read_timeout_on_a_reused_connection(serve: Serve) -> None:
    async def then_stall(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok(b"first"))
        await peer.request()
        await peer.until_closed()

    server = await serve(scripted(then_stall))
    async with lean_client(timeout=5.0) as client:
        assert (await client.get(server.url)).content == b"first"
        start = time.monotonic()
        with pytest.raises(httpx2.ReadTimeout):
            await client.get(server.url, timeout=httpx2.Timeout(5.0, read=0.2))
        assert time.monotonic() - start < 1.0
    assert server.accepted == 1


async def test_no_read_timeout_on_a_reused_connection_after_one_with_it(serve: Serve) -> None:
    async def then_slow(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok(b"first"))
        await peer.request()
        await asyncio.sleep(0.6)
        await peer.send(ok(b"second"))
        await peer.until_closed()

    server = await serve(scripted(then_slow))
    async with lean_client(timeout=httpx2.Timeout(5.0, read=0.3)) as client:
        assert (await client.get(server.url)).content == b"first"
        second = await client.get(server.url, timeout=httpx2.Timeout(5.0, read=None))
    assert second.content == b"second"
    assert server.accepted == 1


async def test_write_timeout_when_the_server_reads_nothing(serve: Serve) -> None:
    size = 64 * 1024 * 1024  # more than the kernel's socket buffers hold
    deaf = asyncio.Event()

    async def deaf_for_a_while(peer: Peer) -> None:
        await deaf.wait()
        await peer.until_closed()

    server = await serve(scripted(deaf_for_a_while))
    async with lean_client(timeout=httpx2.Timeout(5.0, write=0.3)) as client:
        start = time.monotonic()
        with pytest.raises(httpx2.WriteTimeout):
            await client.post(server.url, content=b"x" * size)
        assert time.monotonic() - start < 2.0
        deaf.set()
        await closed_by_client(server.peers[0])
    # The request failed for the caller (who may send it again): the rest of it is dropped,
    # not sent to a server that starts reading late.
    assert len(server.peers[0].raw) < size


async def test_an_unsupported_scheme_and_a_closed_transport() -> None:
    transport = Http1Transport()
    with pytest.raises(httpx2.UnsupportedProtocol):
        await transport.handle_async_request(httpx2.Request("GET", "ftp://127.0.0.1/"))
    await transport.aclose()
    with pytest.raises(httpx2.ConnectError, match="closed"):
        await transport.handle_async_request(httpx2.Request("GET", "http://127.0.0.1:9/"))


# -- request bodies --------------------------------------------------------------------------


def echo() -> Handler:
    async def handler(peer: Peer) -> None:
        while (request := await peer.request()) is not None:
            await peer.send(ok(request.body))

    return handler


async def test_a_json_body_arrives_whole(serve: Serve) -> None:
    server = await serve(echo())
    payload: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "é" * 500}]}
    async with lean_client() as client:
        response = await client.post(server.url, json=payload)
        assert response.json() == payload
        again = await client.post(server.url, json={"n": 2})
    assert again.json() == {"n": 2}
    request = server.requests[0]
    assert request.method == "POST"
    assert request.headers["content-length"] == str(len(request.body))
    assert json.loads(request.body) == payload
    assert server.accepted == 1


async def test_a_streamed_request_body_goes_out_chunked(serve: Serve) -> None:
    server = await serve(echo())
    parts = [b"first,", b"", b"x" * 70000, b"\r\n0\r\n\r\n", b"last"]

    async def upload() -> AsyncIterator[bytes]:
        for part in parts:
            await asyncio.sleep(0.005)
            yield part

    async with lean_client() as client:
        response = await client.post(server.url, content=upload())
        after = await client.post(server.url, content=b"plain")  # the framing ended right
    assert response.content == b"".join(parts)
    assert server.requests[0].headers["transfer-encoding"] == "chunked"
    assert after.content == b"plain"
    assert server.accepted == 1


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nInjected: 1", "a\rb"])
async def test_a_header_with_a_line_break_is_refused_before_sending(
    serve: Serve, value: str
) -> None:
    server = await serve(answering(ok()))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.5)) as client:
        with pytest.raises(httpx2.LocalProtocolError):
            await client.get(server.url, headers={"X-Evil": value})
        await closed_by_client(server.peers[0])
        assert server.peers[0].raw == b""  # not one byte went out
        # The refused request gave its connection slot back.
        assert (await client.get(server.url)).content == b"ok"
    assert "injected" not in server.requests[0].headers


# -- flow control ----------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_large_body_read_slowly_arrives_whole(serve: Serve, framing: str) -> None:
    body = os.urandom(5 * 1024 * 1024)
    if framing == "chunked":
        step = 64 * 1024
        answer = chunked(*(body[i : i + step] for i in range(0, len(body), step)))
    else:
        answer = ok(body)
    server = await serve(answering(answer))
    async with lean_client() as client, client.stream("GET", server.url) as response:
        digest, size, largest = hashlib.sha256(), 0, 0
        async for piece in response.aiter_raw():
            digest.update(piece)
            size += len(piece)
            largest = max(largest, len(piece))
            await asyncio.sleep(0.01)  # a slow reader: the socket must wait for it
    assert size == len(body)
    assert digest.digest() == hashlib.sha256(body).digest()
    # The transport stopped reading while nobody read: no piece holds more than a few socket
    # reads (without flow control, 10 ms of sleep lets megabytes pile up).
    assert largest <= 3 * SOCKET_READ


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> Any:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
async def tls_server(serve: Serve, ca: Any) -> Server:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return await serve(answering(ok(b"secret"), chunked(b"sec", b"ret")), context=context)


async def test_https_with_a_trusted_certificate(tls_server: Server, ca: Any) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with lean_client(verify=context) as client:
        first = await client.get(tls_server.url)
        second = await client.get(tls_server.url)
    assert first.content == second.content == b"secret"
    assert tls_server.accepted == 1


async def test_https_with_an_untrusted_certificate(tls_server: Server) -> None:
    trustme = pytest.importorskip("trustme")
    other = ssl.create_default_context()
    trustme.CA().configure_trust(other)
    for verify in (other, True):
        async with lean_client(verify=verify) as client:
            with pytest.raises(httpx2.ConnectError, match=r"(?i)certificate"):
                await client.get(tls_server.url)
    assert tls_server.requests == []


# -- http_client -----------------------------------------------------------------------------

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in (*PROXY_VARS, "LIMINAL_HTTP"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("LIMINAL_HTTP", "sdk"),
        ("LIMINAL_HTTP", " SDK "),
        ("HTTPS_PROXY", "http://proxy.invalid:3128"),
        ("http_proxy", "http://proxy.invalid:3128"),
        ("ALL_PROXY", "socks5://proxy.invalid:1080"),
    ],
)
def test_http_client_leaves_the_sdk_its_own(
    no_proxy_env: pytest.MonkeyPatch, var: str, value: str
) -> None:
    no_proxy_env.setenv(var, value)
    assert http_client() is None


async def test_http_client_is_on_the_lean_transport(
    no_proxy_env: pytest.MonkeyPatch, serve: Serve
) -> None:
    no_proxy_env.setenv("LIMINAL_HTTP", "lean")
    server = await serve(answering(ok()))
    client = http_client(
        limits=httpx2.Limits(max_connections=1), timeout=httpx2.Timeout(5.0, pool=0.2)
    )
    assert client is not None
    async with client:
        assert isinstance(client._transport, Http1Transport)
        assert (await client.get(server.url)).content == b"ok"
        # The limits and the timeout reached the transport.
        async with client.stream("GET", server.url):
            with pytest.raises(httpx2.PoolTimeout):
                await client.get(server.url)


# -- other event loops ---------------------------------------------------------------------


def test_it_runs_on_uvloop_as_under_liminal_ui() -> None:
    """`liminal ui` serves on uvicorn, whose loop is uvloop's: its ``create_connection`` has
    no ``happy_eyeballs_delay`` (a local model's answer in the browser failed on it)."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> tuple[bytes, bytes, int]:
        server = Server(answering(chunked(b"data: one\n\n", b"data: two\n\n")), None)
        await server.start()
        try:
            async with lean_client() as client:
                first = (await client.get(server.url)).content
                second = (await client.get(server.url)).content
            return first, second, len(server.peers)
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        first, second, connections = runner.run(main())
    assert first == second == b"data: one\n\ndata: two\n\n"
    assert connections == 1
