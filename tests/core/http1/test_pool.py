"""``liminal.provider.http1``: keep-alive connections, the pool and its limits."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx2
import pytest

from liminal.provider.http1 import Http1Transport
from support.scripted import (
    SOON,
    Peer,
    Serve,
    answering,
    chunked,
    closed_by_client,
    eventually,
    lean_client,
    ok,
    scripted,
)

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

    server = await serve(scripted(answer_then_close, answering(ok(b"second"))))
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

    server = await serve(scripted(answer_then_junk, answering(ok(b"fresh"))))
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

    server = await serve(scripted(late_body_then_close, answering(ok(b"second"))))
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

    server = await serve(scripted(half, answering(ok(b"whole"))))
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

    server = await serve(scripted(hang_up, hang_up, answering(ok())))
    limits = httpx2.Limits(max_connections=1)
    async with lean_client(limits=limits, timeout=httpx2.Timeout(5.0, pool=0.5)) as client:
        for _ in range(2):
            with pytest.raises(httpx2.RemoteProtocolError):
                await client.get(server.url)
        assert (await client.get(server.url)).content == b"ok"
