"""``liminal.provider.http1``: request bodies, TLS, ``http_client`` and other event loops."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from liminal.provider.http import http_client
from liminal.provider.http1 import Http1Transport
from support.scripted import (
    Handler,
    Peer,
    Serve,
    Server,
    answering,
    chunked,
    closed_by_client,
    lean_client,
    ok,
)

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
