"""A fault-injecting HTTP front for llmock, so every scripted fault shares one base URL.

llmock (an in-process server) answers completions and streams for both protocols and breaks
streams on demand. It cannot send ``retry-after-ms`` alone, an HTTP-date ``Retry-After``, a 429
without any ``Retry-After``, a real ``insufficient_quota`` body, or drop a connection before
the response headers. This front answers those itself and forwards every other request to
llmock, queueing llmock's stream fault just in time so one FIFO script orders all faults.

Each client connection carries one request (the front answers ``Connection: close``).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from llmock.pytest_plugin import LLMock
from llmock.scenarios import Match, StreamFault
from llmock.simulation import build_error_response, provider_from_path
from llmock.testing import LLMockServer

from support.faultwire import (
    PIPE_CHUNK,
    Request,
    closing_head,
    encode_response,
    read_request,
    until_done_or_gone,
)

__all__ = [
    "BreakStream",
    "Drop",
    "FaultServer",
    "Hold",
    "Respond",
    "SeenRequest",
    "Step",
]

_HEAD_LIMIT = 1 << 20
_THREAD_TIMEOUT = 10.0
_ANTHROPIC_PATHS = ("/v1/messages", "/v1/complete")


@dataclass(frozen=True)
class Respond:
    """Answer with this status and body instead of forwarding.

    ``body=None`` sends llmock's error envelope for the route (OpenAI or Anthropic shape).
    ``retry_at_in`` adds ``Retry-After`` as an HTTP-date that many seconds after the answer.
    ``echo_auth`` answers with an error envelope whose message repeats the request's
    ``Authorization`` and ``x-api-key`` headers, as some misconfigured proxies do.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str = "application/json"
    retry_at_in: float | None = None
    echo_auth: bool = False


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without sending a byte."""


@dataclass(frozen=True)
class Hold:
    """Send nothing for ``seconds``, then forward the request to llmock."""

    seconds: float


StreamFaultKind = Literal["disconnect", "truncate", "stall", "malformed"]


@dataclass(frozen=True)
class BreakStream:
    """Forward, with llmock breaking the stream at chunk ``after_chunks`` (0-based)."""

    kind: StreamFaultKind
    after_chunks: int = 1
    stall_seconds: float = 30.0


Action = Respond | Drop | Hold | BreakStream


@dataclass(frozen=True)
class Step:
    """One scripted fault for the next matching request; None matches any.

    A :class:`BreakStream` step only ever matches streaming requests.
    """

    action: Action
    provider: str | None = None
    stream: bool | None = None

    def accepts(self, request: Request) -> bool:
        if self.provider is not None and self.provider != provider_of(request):
            return False
        stream = True if isinstance(self.action, BreakStream) else self.stream
        return stream is None or stream == is_stream(request)


@dataclass(frozen=True)
class SeenRequest:
    """A request the front received, and what it did with it (``forward`` or a step name)."""

    method: str
    path: str
    provider: str
    stream: bool
    handling: str


def upstream_target(request: Request) -> str:
    """llmock serves Anthropic under ``/anthropic``; clients here use the real paths."""
    path = request.path
    anthropic = path.startswith(_ANTHROPIC_PATHS) or (
        path.startswith("/v1/") and request.header("anthropic-version") is not None
    )
    return "/anthropic" + request.target if anthropic else request.target


def provider_of(request: Request) -> str:
    return provider_from_path(upstream_target(request).partition("?")[0])


def is_stream(request: Request) -> bool:
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("stream") is True


class FaultServer:
    """The front (asyncio, in a daemon thread) plus the llmock server it forwards to."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = 0
        self.llmock_server = LLMockServer(host=host)
        self.llmock = LLMock(self.llmock_server)
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self._seen: list[SeenRequest] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FaultServer:
        self.llmock_server.start()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="liminal-fault-server", daemon=True
        )
        self._thread.start()
        self._server = self._call(
            asyncio.start_server(self._handle, self._host, 0, limit=_HEAD_LIMIT)
        )
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(_THREAD_TIMEOUT)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(_THREAD_TIMEOUT)
            loop.close()
        self.llmock_server.stop()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where to point clients ------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic SDK's base URL."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the OpenAI SDK's base URL."""
        return self.root_url + "/v1"

    # -- scripting and inspection ----------------------------------------------------------

    def script(self, *steps: Step) -> None:
        """Queue steps; each request consumes the first step that accepts it."""
        with self._lock:
            self._steps.extend(steps)

    def pending(self) -> list[Step]:
        with self._lock:
            return list(self._steps)

    def seen(self) -> list[SeenRequest]:
        """Every request received since the last reset, oldest first."""
        with self._lock:
            return list(self._seen)

    def reset(self) -> None:
        """Drop open connections, scripted steps, the request log and llmock's state."""
        if self._loop is not None:
            self._call(self._abort_connections())
        with self._lock:
            self._steps.clear()
            self._seen.clear()
        self.llmock.reset()

    # -- the event loop side ---------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        assert self._loop is not None, "FaultServer is not started"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_THREAD_TIMEOUT)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._abort_connections()

    async def _abort_connections(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await read_request(reader)
            if request is not None:
                await until_done_or_gone(self._serve(request, writer), reader)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away, or the upstream dropped (a scripted disconnect)
        except ValueError:
            pass  # not HTTP we understand: hang up
        except asyncio.CancelledError:
            pass  # reset() or stop(): asyncio's stream callback would log a cancelled task
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, request: Request, writer: asyncio.StreamWriter) -> None:
        step = self._take(request)
        action = step.action if step is not None else None
        if isinstance(action, Respond):
            writer.write(_response_bytes(action, request))
            await writer.drain()
            return
        if isinstance(action, Drop):
            return
        if isinstance(action, Hold):
            await asyncio.sleep(action.seconds)
        if isinstance(action, BreakStream):
            fault = StreamFault(
                action.kind,
                after_chunks=action.after_chunks,
                stall_seconds=action.stall_seconds,
                match=Match(path=upstream_target(request).partition("?")[0], stream=True),
            )
            self.llmock_server.state.scenarios.add(fault)
        await self._forward(request, writer)

    def _take(self, request: Request) -> Step | None:
        """Log the request and consume the first step that accepts it."""
        with self._lock:
            step = next((s for s in self._steps if s.accepts(request)), None)
            if step is not None:
                self._steps.remove(step)
            handling = type(step.action).__name__ if step is not None else "forward"
            self._seen.append(
                SeenRequest(
                    request.method, request.path, provider_of(request), is_stream(request), handling
                )
            )
        return step

    async def _forward(self, request: Request, writer: asyncio.StreamWriter) -> None:
        upstream_host = f"{self._host}:{self.llmock_server.port}"
        up_reader, up_writer = await asyncio.open_connection(self._host, self.llmock_server.port)
        try:
            up_writer.write(request.encode(target=upstream_target(request), host=upstream_host))
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            writer.write(closing_head(head))
            while chunk := await up_reader.read(PIPE_CHUNK):
                writer.write(chunk)
                await writer.drain()
        finally:
            up_writer.close()


def _response_bytes(action: Respond, request: Request) -> bytes:
    body = _echoed_auth(request) if action.echo_auth else action.body
    if body is None:
        body = bytes(build_error_response(upstream_target(request), action.status).body)
    headers = list(action.headers)
    if action.retry_at_in is not None:
        retry_at = math.ceil(time.time() + action.retry_at_in)
        headers.append(("retry-after", email.utils.formatdate(retry_at, usegmt=True)))
    return encode_response(action.status, headers, body, action.content_type)


def _echoed_auth(request: Request) -> bytes:
    """An error envelope (both providers' shape) that quotes the request's credentials."""
    said = (
        f"Invalid credentials. Authorization: {request.header('authorization')};"
        f" x-api-key: {request.header('x-api-key')}"
    )
    error = {"type": "authentication_error", "message": said, "code": "invalid_api_key"}
    return json.dumps({"type": "error", "error": error}).encode()
