"""The ``serve`` fixture of the lean transport's tests."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import pytest

from support.scripted import Handler, Serve, Server


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
