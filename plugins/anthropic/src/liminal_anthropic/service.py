"""``AnthropicService``: the Messages API through the official SDK, as Liminal events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from liminal import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    KeyStatus,
    Secret,
    StreamEvent,
    TextDelta,
    Usage,
)
from liminal.provider import (
    ClientPool,
    ServiceContext,
    SseDecoder,
    body_chunks,
    check_event_stream,
    drain,
    ended_early,
    http_client,
    json_loads,
    malformed,
    not_an_api_answer,
)
from liminal_anthropic.params import message_arguments, messages_and_system

if TYPE_CHECKING:
    import anthropic
    import httpx2

__all__ = ["AnthropicService", "map_stop_reason"]

_STOP_REASONS = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "pause_turn": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.REFUSAL,
    "model_context_window_exceeded": FinishReason.CONTEXT_WINDOW,
}


#: Keyed copies of the shared clients kept at most (a pool rarely holds more keys).
_KEYED_CLIENTS = 16


def map_stop_reason(raw: str | None) -> FinishReason:
    return _STOP_REASONS.get(raw or "end_turn", FinishReason.STOP)


def _input_tokens(usage: Any) -> int:
    """Input tokens including the cached part, which the API counts apart (``usage``: the
    SDK's object or the JSON object)."""
    names = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    if isinstance(usage, dict):
        values = [usage.get(name) for name in names]
    else:
        values = [getattr(usage, name, None) for name in names]
    return sum(int(value or 0) for value in values)


def _error_event(
    client: anthropic.AsyncAnthropic, data: str, response: httpx2.Response
) -> anthropic.APIStatusError:
    """The SDK's error for an ``error`` event inside a 200 stream, as the SDK raises it."""
    body: object = data
    try:
        body = json.loads(data)
        message = f"{body}"
    except Exception:
        message = data or f"Error code: {response.status_code}"
    return client._make_status_error(message, body=body, response=response)


class AnthropicService:
    """One shared async client per base URL; the core supplies the key per request."""

    def __init__(self, context: ServiceContext, *, http_client: httpx2.AsyncClient | None = None):
        self.context = context
        self._http_client = http_client
        self._clients = ClientPool(self._build)
        # (shared client, key) -> its copy with that key: a copy per request would also
        # resolve the SDK's platform headers again in a worker thread (~1 ms of CPU).
        self._keyed_clients: dict[tuple[anthropic.AsyncAnthropic, str], anthropic.AsyncAnthropic]
        self._keyed_clients = {}

    def client(self, base_url: str | None) -> anthropic.AsyncAnthropic:
        """The shared client of ``base_url`` (the key is set per request)."""
        return self._clients.get(base_url)

    def _build(self, base_url: str | None) -> anthropic.AsyncAnthropic:
        import anthropic
        import httpx2

        timeout = httpx2.Timeout(**self.context.timeouts.for_http())
        return anthropic.AsyncAnthropic(
            api_key="set-per-request",  # the real key is set by with_options per request
            base_url=base_url,
            max_retries=0,  # the core's retry layer is the only one
            timeout=timeout,
            http_client=self._http_client
            or http_client(
                limits=anthropic.DEFAULT_CONNECTION_LIMITS,
                timeout=timeout,
                client_class=anthropic.DefaultAsyncHttpxClient,
            ),
        )

    async def _keyed(self, model_id: str) -> anthropic.AsyncAnthropic:
        base = self.client(self.context.base_url_for(model_id))
        key = await self.context.api_key()
        keyed = self._keyed_clients.get((base, key))
        if keyed is None:
            if len(self._keyed_clients) >= _KEYED_CLIENTS:
                self._keyed_clients.clear()
            keyed = self._keyed_clients[base, key] = base.with_options(api_key=key)
        return keyed

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        model = self.context.model_info(request.model)
        client = await self._keyed(model.id)
        # The SDK builds and sends the request and raises its HTTP errors; the body is parsed
        # here, one JSON parse per event, without the SDK's pydantic events.
        stream = await client.messages.create(**message_arguments(model, request), stream=True)
        response = stream.response
        provider = self.context.provider.id
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        stopped = False
        received: list[str] = []
        try:
            check_event_stream(
                response.headers,
                provider=provider,
                base_url_var=self.context.provider.base_url_env_var,
            )
            decoder = SseDecoder()
            chunks = body_chunks(response)
            try:
                async for raw in chunks:
                    for name, data in decoder.feed(raw):
                        if name is None or name == "ping":
                            continue
                        if name == "error":
                            raise _error_event(client, data, response)
                        if not data:
                            continue
                        event = json_loads(data)
                        if not isinstance(event, dict):
                            raise malformed(provider, ValueError(data))
                        kind = event.get("type")
                        if kind == "content_block_delta":
                            text = event["delta"].get("text")
                            if text:
                                received.append(text)
                                yield TextDelta(text)
                        elif kind == "message_start":
                            input_tokens = _input_tokens(event["message"]["usage"])
                        elif kind == "message_delta":
                            stop_reason = event["delta"].get("stop_reason") or stop_reason
                            # Cumulative counts; when the input side is here too, it is the
                            # final one.
                            usage = event["usage"]
                            input_tokens = _input_tokens(usage) or input_tokens
                            output_tokens = usage.get("output_tokens") or output_tokens
                        elif kind == "message_stop":
                            stopped = True
                            break
                    if stopped:
                        break
                else:
                    decoder.finish()
                if stopped and response.http_version == "HTTP/1.1":
                    await drain(chunks)  # the connection goes back to the pool
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise malformed(provider, exc) from exc
        finally:
            await response.aclose()
        if not stopped:
            raise ended_early(provider, model.id, received, "message_stop")
        yield Usage(input_tokens, output_tokens)
        yield Finish(map_stop_reason(stop_reason), stop_reason)

    async def complete(self, request: ChatRequest) -> ChatResult:
        model = self.context.model_info(request.model)
        client = await self._keyed(model.id)
        import httpx2

        total = request.timeout or self.context.timeouts.total
        message = await client.messages.create(
            **message_arguments(model, request),
            timeout=httpx2.Timeout(**self.context.timeouts.for_http(whole_answer=total)),
        )
        if isinstance(message, str):  # the SDK hands back a body it could not parse
            raise not_an_api_answer(
                self.context.provider.id,
                "a text answer, not JSON",
                base_url_var=self.context.provider.base_url_env_var,
            )
        text = "".join(getattr(block, "text", "") for block in message.content)
        return ChatResult(
            text=text,
            finish_reason=map_stop_reason(message.stop_reason),
            raw_finish_reason=message.stop_reason,
            model=model.id,
            usage=Usage(_input_tokens(message.usage), message.usage.output_tokens),
            request_id=getattr(message, "_request_id", None),
        )

    async def aclose(self) -> None:
        """Close the shared clients (and their connections) in the running event loop."""
        self._keyed_clients.clear()  # copies that share the shared clients' connections
        await self._clients.aclose()

    async def validate_key(self, key: Secret) -> KeyStatus:
        import anthropic

        client = self.client(self.context.base_url).with_options(api_key=key.reveal())
        try:
            await client.models.list()
        except (anthropic.AuthenticationError, anthropic.PermissionDeniedError):
            return KeyStatus.INVALID
        except anthropic.AnthropicError:
            return KeyStatus.UNKNOWN
        return KeyStatus.VALID

    async def list_remote_models(self) -> list[str]:
        client = self.client(self.context.base_url).with_options(
            api_key=await self.context.api_key()
        )
        return [model.id async for model in client.models.list()]

    async def count_tokens(self, request: ChatRequest) -> int | None:
        """The exact input tokens of ``request``, from the count-tokens endpoint. The core
        calls it (with the key and deadline it chose) only when config.json asks for exact
        counts; any failure leaves the count to the core's estimate."""
        turns, system = messages_and_system(request)
        if not turns:
            return None
        client = await self._keyed(request.model)
        extra: dict[str, Any] = {"system": system} if system else {}
        counted = await client.messages.count_tokens(
            model=request.model, messages=cast(Any, turns), **extra
        )
        return int(counted.input_tokens)
