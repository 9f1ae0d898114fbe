"""A minimal OpenAI Chat Completions and Anthropic Messages streaming server on 127.0.0.1,
for load tests.

Every ``POST …/chat/completions`` with ``"stream": true`` gets a pre-encoded stream: a role
chunk, one text chunk per requested token (``max_tokens``, else ``--chunks``), a finish chunk,
a usage chunk (when ``stream_options.include_usage``) and ``[DONE]``, over HTTP/1.1 chunked
encoding with keep-alive. Every ``POST …/v1/messages`` gets the Messages API's events
(``message_start``, a text block with one ``content_block_delta`` per token, ``ping``,
``message_delta``, ``message_stop``) the same way. It costs the server almost nothing per
chunk, so a client's cost shows.

    python benchmarks/sse_server.py [--chunks 50] [--interval-ms 0] [--lifetime 300]

Prints ``PORT <n>`` once listening. It exits on SIGTERM/SIGINT, when its parent process goes
away, or after ``--lifetime`` seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys

HOST = "127.0.0.1"
_MODEL = "bench-mock"
MAX_CHUNKS = 100_000


def _event(payload: object) -> bytes:
    data = b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, object]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": _MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def build_stream(chunks: int) -> tuple[list[bytes], bytes]:
    """(the events before the usage chunk, the usage chunk); each already chunk-framed."""
    events = [_event(_chunk({"role": "assistant", "content": ""}))]
    events += [_event(_chunk({"content": f"word{i} "})) for i in range(chunks)]
    events.append(_event(_chunk({}, finish="stop")))
    usage = _event(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": _MODEL,
            "choices": [],
            "usage": {"prompt_tokens": 8, "completion_tokens": chunks, "total_tokens": chunks + 8},
        }
    )
    return events, usage


def _named(payload: dict[str, object]) -> bytes:
    data = f"event: {payload['type']}\ndata: ".encode()
    data += json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def build_messages_stream(chunks: int) -> list[bytes]:
    """The Messages API's events of a ``chunks``-token answer, each already chunk-framed."""
    message = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": _MODEL,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 8, "output_tokens": 1},
    }
    block = {"type": "text", "text": ""}
    events = [
        _named({"type": "message_start", "message": message}),
        _named({"type": "content_block_start", "index": 0, "content_block": block}),
        _named({"type": "ping"}),
    ]
    events += [
        _named(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": f"word{i} "},
            }
        )
        for i in range(chunks)
    ]
    events += [
        _named({"type": "content_block_stop", "index": 0}),
        _named(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": chunks},
            }
        ),
        _named({"type": "message_stop"}),
    ]
    return events


_DONE = b"%x\r\n%s\r\n" % (len(b"data: [DONE]\n\n"), b"data: [DONE]\n\n")
_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)


def _plain(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


class Server:
    def __init__(self, chunks: int, interval: float) -> None:
        self.chunks = chunks
        self.interval = interval
        self._streams: dict[int, tuple[list[bytes], bytes]] = {}
        self._messages: dict[int, list[bytes]] = {}

    def _chunks(self, request: dict[str, object]) -> int:
        wanted = request.get("max_tokens") or request.get("max_completion_tokens")
        return wanted if isinstance(wanted, int) and 0 < wanted <= MAX_CHUNKS else self.chunks

    def stream_for(self, request: dict[str, object]) -> tuple[list[bytes], bytes]:
        chunks = self._chunks(request)
        if chunks not in self._streams:
            self._streams[chunks] = build_stream(chunks)
        return self._streams[chunks]

    def messages_for(self, request: dict[str, object]) -> list[bytes]:
        chunks = self._chunks(request)
        if chunks not in self._messages:
            self._messages[chunks] = build_messages_stream(chunks)
        return self._messages[chunks]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another until the client closes
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                if method == "POST" and path.endswith("/chat/completions"):
                    await self.complete(json.loads(body or b"{}"), writer)
                elif method == "POST" and path.endswith("/v1/messages"):
                    await self.messages(json.loads(body or b"{}"), writer)
                else:
                    writer.write(_plain("404 Not Found", b'{"error":{"message":"not found"}}'))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:  # shutting down with the connection still open
            return
        finally:
            writer.close()

    async def complete(self, request: dict[str, object], writer: asyncio.StreamWriter) -> None:
        if not request.get("stream"):
            writer.write(_plain("400 Bad Request", b'{"error":{"message":"stream only"}}'))
            await writer.drain()
            return
        options = request.get("stream_options") or {}
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        events, usage = self.stream_for(request)
        writer.write(_STREAM_HEAD)
        for event in events:
            writer.write(event)
            await writer.drain()
            if self.interval:
                await asyncio.sleep(self.interval)
        if include_usage:
            writer.write(usage)
        writer.write(_DONE + b"0\r\n\r\n")
        await writer.drain()

    async def messages(self, request: dict[str, object], writer: asyncio.StreamWriter) -> None:
        if not request.get("stream"):
            writer.write(_plain("400 Bad Request", b'{"error":{"message":"stream only"}}'))
            await writer.drain()
            return
        writer.write(_STREAM_HEAD)
        for event in self.messages_for(request):
            writer.write(event)
            await writer.drain()
            if self.interval:
                await asyncio.sleep(self.interval)
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _serve_until_stopped(stop: asyncio.Event, parent: int, lifetime: float) -> None:
    """Until SIGTERM/SIGINT, the parent's exit, or ``lifetime`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    while not stop.is_set() and os.getppid() == parent and loop.time() < deadline:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def main(chunks: int, interval: float, lifetime: float) -> None:
    server = Server(chunks, interval)
    listener = await asyncio.start_server(server.handle, HOST, 0, backlog=2048)
    port = listener.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with listener:
        await _serve_until_stopped(stop, os.getppid(), lifetime)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--interval-ms", type=float, default=0.0)
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()
    asyncio.run(main(args.chunks, args.interval_ms / 1000, args.lifetime))
    sys.exit(0)
