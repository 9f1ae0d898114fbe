"""A lean HTTP/1.1 transport for the provider SDKs' ``httpx2`` clients.

The SDK still builds every request, sends it through its ``httpx2.AsyncClient`` and raises its
own HTTP errors; only the bytes on the wire go through :class:`Http1Transport`. What it saves
is the default transport's cost per chunk of a streamed body: httpcore and h11 parse and yield
every HTTP chunk on its own, through four generator layers. Here the chunked framing is taken
apart on whatever the socket delivered, and the stream yields it in pieces of about 1 KiB,
however many events they hold. While nobody reads, the socket is not read either: what the
consumer has not asked for stays in the kernel, as with a pull-based reader.

It speaks HTTP/1.1 over TCP or TLS, with a pool of keep-alive connections per origin (the
client's ``Limits``), the request's connect, read, write and pool timeouts, and ``httpx2``'s
exceptions (``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError`` …), so the SDK maps
failures exactly as it maps its own transport's. A proxied connection, HTTP/2 or a Unix socket
are not its business: :func:`liminal.provider.http_client` returns None for those, and the
SDK keeps its own client (docs/decisions.md).
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time

import httpx2

from liminal.provider.http1_wire import Body, Connection

__all__ = ["Http1Transport"]


class Http1Transport(httpx2.AsyncBaseTransport):
    """HTTP/1.1 with keep-alive connections pooled per origin; see the module's text."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx2.Limits | None = None,
        trust_env: bool = True,
    ) -> None:
        limits = limits or httpx2.Limits()
        self._verify = verify
        self._trust_env = trust_env
        self._ssl: ssl.SSLContext | None = None  # built on the first https request
        self._max_connections = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}
        self._idle_count = 0
        self._open = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx2.UnsupportedProtocol(
                f"the request's URL has an unsupported protocol {scheme!r}", request=request
            )
        if self._closed:
            raise httpx2.ConnectError("the transport is closed", request=request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        port = url.port or (443 if scheme == "https" else 80)
        origin = (scheme, url.host, port)
        connection = self._reused(origin)
        if connection is None:
            await self._reserve(timeouts.get("pool"), request)
            try:
                connection = await self._connect(origin, request, timeouts.get("connect"))
            except BaseException:
                self._release()
                raise
        try:
            await connection.send(request, timeouts.get("write"))
            head = await connection.read_head(request, timeouts.get("read"))
        except BaseException:
            self._discard(connection)
            raise
        status, reason, headers, framing, keep = head
        stream = Body(self._body_done, connection, request, framing, keep, timeouts.get("read"))
        return httpx2.Response(
            status,
            headers=headers,
            stream=stream,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                self._discard(connection)
        self._idle_count = 0

    # -- the pool --------------------------------------------------------------------------

    def _reused(self, origin: tuple[str, str, int]) -> Connection | None:
        connections = self._idle.get(origin)
        now = time.monotonic()
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            if connection.usable() and (
                self._expiry is None or now - connection.idle_since < self._expiry
            ):
                return connection
            self._discard(connection)
        return None

    async def _reserve(self, timeout: float | None, request: httpx2.Request) -> None:
        """Count a new connection against ``max_connections``, waiting for a free one."""
        if self._max_connections is None or self._open < self._max_connections:
            self._open += 1
            return
        if self._idle_count:  # an idle connection to another origin makes room
            self._drop_oldest_idle()
            self._open += 1
            return
        slot = asyncio.get_running_loop().create_future()
        self._waiting.append(slot)
        try:
            # wait_for, not asyncio.timeout: Python 3.10 has no asyncio.timeout, and there
            # asyncio.TimeoutError is not the builtin TimeoutError.
            await asyncio.wait_for(slot, timeout)  # _release hands its slot over: _open counts it
        except BaseException as exc:
            if slot.done() and not slot.cancelled():
                self._release()  # handed over just as this request gave up
            else:
                slot.cancel()
            if isinstance(exc, asyncio.TimeoutError):
                raise httpx2.PoolTimeout(
                    "no connection became free in time", request=request
                ) from None
            raise

    def _drop_oldest_idle(self) -> None:
        oldest = min(
            (c for connections in self._idle.values() for c in connections),
            key=lambda c: c.idle_since,
        )
        self._idle[oldest.origin].remove(oldest)
        self._idle_count -= 1
        oldest.close()
        self._open -= 1

    def _release(self) -> None:
        """One connection fewer: its slot goes to the longest-waiting request, if any."""
        while self._waiting:
            slot = self._waiting.popleft()
            if not slot.done():
                slot.set_result(None)
                return
        self._open -= 1

    def _discard(self, connection: Connection) -> None:
        connection.close()
        self._release()

    def _body_done(self, connection: Connection, reusable: bool) -> None:
        """An answer's body ended: read to its end (``reusable`` when the answer allows
        keep-alive), or closed before it. The connection goes idle, or is closed."""
        # A request waits only while every connection is busy: this one is closed, so that
        # its slot goes to that request, which would otherwise sleep until its pool timeout.
        waiting = any(not slot.done() for slot in self._waiting)
        unwanted = self._closed or self._max_idle == 0 or waiting
        if not reusable or unwanted or not connection.usable():
            self._discard(connection)
            return
        if self._max_idle is not None and self._idle_count >= self._max_idle:
            self._drop_oldest_idle()
        connection.listen()  # an idle connection still sees the server close it
        connection.idle_since = time.monotonic()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1

    async def _connect(
        self, origin: tuple[str, str, int], request: httpx2.Request, timeout: float | None
    ) -> Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = httpx2.create_ssl_context(
                    verify=self._verify, trust_env=self._trust_env
                )
            context = self._ssl
        sni = (request.extensions.get("sni_hostname") or host) if context is not None else None
        connection = Connection(loop, origin)
        # Try IPv6 and IPv4 addresses side by side (RFC 8305), where the loop can: uvloop's
        # create_connection (under `liminal ui`'s server) has no such argument.
        eyeballs = 0.25 if isinstance(loop, asyncio.BaseEventLoop) else None
        try:
            if eyeballs is None:
                connecting = loop.create_connection(
                    lambda: connection, host, port, ssl=context, server_hostname=sni
                )
            else:
                connecting = loop.create_connection(
                    lambda: connection,
                    host,
                    port,
                    ssl=context,
                    server_hostname=sni,
                    happy_eyeballs_delay=eyeballs,
                )
            await asyncio.wait_for(connecting, timeout)
        except asyncio.TimeoutError:
            connection.close()
            message = f"timed out connecting to {host}:{port}"
            raise httpx2.ConnectTimeout(message, request=request) from None
        except (OSError, ssl.SSLError) as exc:
            connection.close()
            raise httpx2.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        connection.keep_alive_probes()
        return connection
