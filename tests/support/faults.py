"""The ``faults`` fixture: one method per way a provider can fail a client.

    def test_waits_for_retry_after_ms(faults):
        faults.rate_limit_ms(50, times=2)
        ...  # point the client at faults.base_url (OpenAI) or faults.root_url (Anthropic)
        assert faults.requests("/v1/chat/completions") == 3

Each method queues its fault for the next ``times`` requests that it matches (``provider``
``"openai"`` or ``"anthropic"``, or any when None; stream faults match streaming requests
only), in the order scripted. Requests with no fault get llmock's normal answer.
"""

from __future__ import annotations

import json
from typing import Literal

from llmock.pytest_plugin import LLMock

from support.faultserver import (
    Action,
    BreakStream,
    Drop,
    FaultServer,
    Hold,
    Respond,
    SeenRequest,
    Step,
)

__all__ = ["Faults", "Provider"]

Provider = Literal["openai", "anthropic"]

_OPENAI_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}
# Anthropic has no quota 429: an empty balance is a 400 with this message.
_ANTHROPIC_QUOTA = {
    "type": "error",
    "error": {
        "type": "invalid_request_error",
        "message": "Your credit balance is too low to access the Anthropic API.",
    },
}


class Faults:
    """Script faults on the session's mock server, for one test. Methods chain."""

    def __init__(self, server: FaultServer) -> None:
        self._server = server

    # -- where to point clients ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI SDK's base URL, ``http://127.0.0.1:PORT/v1``."""
        return self._server.base_url

    @property
    def root_url(self) -> str:
        """The Anthropic SDK's base URL (it appends ``/v1/messages``)."""
        return self._server.root_url

    @property
    def llmock(self) -> LLMock:
        """llmock's own handle, for what it scripts itself: reply text, tool calls, quotas."""
        return self._server.llmock

    # -- HTTP errors -----------------------------------------------------------------------

    def rate_limit(
        self, retry_after: float | None = 1.0, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """429 with ``retry-after: <seconds>`` only; ``None`` sends no Retry-After at all."""
        headers = () if retry_after is None else (("retry-after", f"{retry_after:g}"),)
        return self._add(Respond(429, headers), times, provider)

    def rate_limit_ms(
        self, milliseconds: int, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """429 with ``retry-after-ms`` only."""
        return self._add(Respond(429, (("retry-after-ms", str(milliseconds)),)), times, provider)

    def rate_limit_until(
        self, seconds_from_now: float, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """429 with ``retry-after`` as an HTTP-date, rounded up to the whole second."""
        return self._add(Respond(429, retry_at_in=seconds_from_now), times, provider)

    def insufficient_quota(self, *, times: int = 1, provider: Provider = "openai") -> Faults:
        """OpenAI: 429 ``insufficient_quota`` (no Retry-After). Anthropic: 400 credit too low."""
        if provider == "anthropic":
            return self.error(400, body=_ANTHROPIC_QUOTA, times=times, provider=provider)
        return self.error(429, body=_OPENAI_QUOTA, times=times, provider=provider)

    def server_error(
        self,
        status: int = 500,
        *,
        retry_after: float | None = None,
        times: int = 1,
        provider: Provider | None = None,
    ) -> Faults:
        """A 5xx (500, 502, 503, 504, 529...) in the provider's envelope."""
        if not 500 <= status <= 599:
            raise ValueError(f"server_error needs a 5xx status, got {status}")
        headers = () if retry_after is None else (("retry-after", f"{retry_after:g}"),)
        return self._add(Respond(status, headers), times, provider)

    def error(
        self,
        status: int,
        *,
        body: object | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        provider: Provider | None = None,
    ) -> Faults:
        """Any status, with a JSON ``body`` (default: the provider's envelope) and headers."""
        raw = None if body is None else json.dumps(body).encode()
        return self._add(Respond(status, tuple((headers or {}).items()), raw), times, provider)

    def echo_credentials(
        self, status: int = 401, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """An error whose body quotes the request's ``Authorization`` / ``x-api-key`` headers."""
        return self._add(Respond(status, echo_auth=True), times, provider)

    def not_the_api(self, *, times: int = 1, provider: Provider | None = None) -> Faults:
        """200 with an HTML page, as a base URL pointing at a web site answers."""
        page = b"<html><body>Welcome to nginx!</body></html>"
        return self._add(Respond(200, body=page, content_type="text/html"), times, provider)

    def undecodable_stream(self, *, times: int = 1, provider: Provider | None = None) -> Faults:
        """200 ``text/event-stream`` whose first event carries bytes that are not UTF-8."""
        body = b'data: {"text": "caf\xe9 \xff\xfe"}\n\n'
        action = Respond(200, (("cache-control", "no-cache"),), body, "text/event-stream")
        return self._add(action, times, provider, stream=True)

    def overloaded_in_stream(self, *, partial_text: str = "", times: int = 1) -> Faults:
        """Anthropic: 200 and ``message_start``, then an ``overloaded_error`` event."""
        body = _anthropic_error_stream(partial_text)
        action = Respond(200, (("cache-control", "no-cache"),), body, "text/event-stream")
        return self._add(action, times, "anthropic", stream=True)

    # -- connections and streams -----------------------------------------------------------

    def disconnect_before_headers(
        self, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """Read the request, close the connection, send nothing."""
        return self._add(Drop(), times, provider)

    def disconnect_mid_stream(
        self, after_chunks: int = 1, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """200, ``after_chunks`` SSE events, then the connection drops (no chunked terminator)."""
        return self._add(BreakStream("disconnect", after_chunks), times, provider)

    def truncate_stream(
        self, after_chunks: int = 1, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """200, ``after_chunks`` SSE events, then a clean end: no ``[DONE]``/``message_stop``."""
        return self._add(BreakStream("truncate", after_chunks), times, provider)

    def malformed_chunk(
        self, after_chunks: int = 1, *, times: int = 1, provider: Provider | None = None
    ) -> Faults:
        """SSE event number ``after_chunks`` (0-based) carries half its JSON; the rest follows."""
        return self._add(BreakStream("malformed", after_chunks), times, provider)

    def stall(
        self,
        seconds: float,
        *,
        after_chunks: int | None = None,
        times: int = 1,
        provider: Provider | None = None,
    ) -> Faults:
        """Silence for ``seconds``: before the headers (any request) or mid-stream, then resume."""
        if after_chunks is None:
            return self._add(Hold(seconds), times, provider)
        action = BreakStream("stall", after_chunks, stall_seconds=seconds)
        return self._add(action, times, provider)

    # -- inspection ------------------------------------------------------------------------

    def requests(self, path: str | None = None) -> int:
        """How many requests the server received, all or for one path (as the client sent it)."""
        return sum(1 for seen in self._server.seen() if path is None or seen.path == path)

    def seen(self) -> list[SeenRequest]:
        return self._server.seen()

    def pending(self) -> list[Step]:
        """Faults not yet consumed by a request."""
        return self._server.pending()

    def reset(self) -> Faults:
        self._server.reset()
        return self

    def _add(
        self, action: Action, times: int, provider: str | None, *, stream: bool | None = None
    ) -> Faults:
        if times < 1:
            raise ValueError("times must be >= 1")
        self._server.script(*(Step(action, provider, stream) for _ in range(times)))
        return self


def _anthropic_error_stream(partial_text: str) -> bytes:
    def event(name: str, data: object) -> str:
        return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"

    message: dict[str, object] = {
        "id": "msg_fault",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "fault",
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 0},
    }
    events = [event("message_start", {"type": "message_start", "message": message})]
    if partial_text:
        text_block = {"type": "text", "text": ""}
        start = {"type": "content_block_start", "index": 0, "content_block": text_block}
        delta = {"type": "text_delta", "text": partial_text}
        moved = {"type": "content_block_delta", "index": 0, "delta": delta}
        events += [event("content_block_start", start), event("content_block_delta", moved)]
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events.append(event("error", error))
    return "".join(events).encode()
