"""``liminal.provider.http1``: answers and their bodies (chunked, sized, until close, none),
any cut of the server's bytes, and flow control."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.scripted import (
    SOCKET_READ,
    Peer,
    Serve,
    Server,
    answering,
    chunked,
    closed_by_client,
    lean_client,
    ok,
    scripted,
)

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
