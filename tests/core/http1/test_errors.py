"""``liminal.provider.http1``: hostile and broken servers, and timeouts, end as httpx2's
exceptions."""

from __future__ import annotations

import asyncio
import socket
import struct
import time

import httpx2
import pytest

from liminal.provider.http1 import Http1Transport
from support.scripted import (
    Peer,
    Serve,
    answering,
    chunked,
    closed_by_client,
    lean_client,
    ok,
    scripted,
)

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
