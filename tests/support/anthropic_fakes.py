"""Fakes for the Anthropic plugin's unit tests: the real SDK over ``httpx2.MockTransport``.

anthropic 2.x speaks httpx2, so respx and pytest-httpx never see its requests; the fake server
is a handler function plugged into the SDK through ``http_client=``. The SDK
sends the key as ``Authorization: Bearer``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from liminal import ModelInfo, Secret
from liminal.factory import LlmServiceFactory
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.provider.registry import ModelRegistry
from liminal.retry import RetryNotice, RetryPolicy
from liminal_anthropic.catalog import MODELS
from liminal_anthropic.plugin import PROVIDER
from liminal_anthropic.service import AnthropicService
from support.catalog import fake_model
from support.fakeapi import FakeApi, registry_of
from support.fakeapi import TrackedStream as TrackedStream  # re-exported for the tests

BASE_URL = "https://api.anthropic.test"
PROXY_URL = "http://claude-proxy.test:8080"
UNIT_KEY = "sk-ant-unit-test-key-0001"
MODEL = "claude-sonnet-4-6"

#: A model a third party adds on its own Anthropic-compatible server.
PROXIED_MODEL = fake_model(
    "claude-proxied",
    "anthropic",
    max_output_tokens=4096,  # below the service's default max_tokens
    parameters=("max_tokens", "stop", "temperature"),
    base_url=PROXY_URL,
)


def model_registry(*extra: ModelInfo) -> ModelRegistry:
    return registry_of(PROVIDER, *MODELS, *extra)


# -- the wire format ---------------------------------------------------------------------------


def message_start(input_tokens: int = 9, *, cache_read: int = 0, cache_write: int = 0) -> dict:
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": 1}
    if cache_read:
        usage["cache_read_input_tokens"] = cache_read
    if cache_write:
        usage["cache_creation_input_tokens"] = cache_write
    message = {
        "id": "msg_unit",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": MODEL,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return {"type": "message_start", "message": message}


def block_start(index: int = 0, kind: str = "text") -> dict:
    block: dict[str, Any] = {"type": kind}
    if kind == "text":
        block["text"] = ""
    elif kind == "thinking":
        block.update(thinking="", signature="")
    elif kind == "tool_use":
        block.update(id="toolu_unit", name="lookup", input={})
    return {"type": "content_block_start", "index": index, "content_block": block}


def text_delta(text: str, index: int = 0) -> dict:
    return {
        "type": "content_block_delta",
        "index": index,
        "delta": {"type": "text_delta", "text": text},
    }


def thinking_delta(thinking: str, index: int = 0) -> dict:
    delta = {"type": "thinking_delta", "thinking": thinking}
    return {"type": "content_block_delta", "index": index, "delta": delta}


def json_delta(partial_json: str, index: int = 0) -> dict:
    delta = {"type": "input_json_delta", "partial_json": partial_json}
    return {"type": "content_block_delta", "index": index, "delta": delta}


def block_stop(index: int = 0) -> dict:
    return {"type": "content_block_stop", "index": index}


def message_delta(
    stop_reason: str | None = "end_turn", output_tokens: int = 3, **input_usage: int
) -> dict:
    """``input_usage``: the cumulative input counts the API may repeat here (``input_tokens``,
    ``cache_read_input_tokens``...)."""
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens, **input_usage},
    }


def message_stop() -> dict:
    return {"type": "message_stop"}


def ping() -> dict:
    return {"type": "ping"}


def error_event(kind: str = "overloaded_error", message: str = "Overloaded") -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def answer_events(*texts: str, stop_reason: str = "end_turn", output_tokens: int = 3) -> list[dict]:
    """A whole, well-formed answer as Messages API stream events."""
    return [
        message_start(),
        block_start(),
        *(text_delta(text) for text in texts),
        block_stop(),
        message_delta(stop_reason, output_tokens),
        message_stop(),
    ]


def sse(*events: dict[str, Any] | str) -> bytes:
    """An SSE body: ``event: <type>`` and ``data: <json>`` (a string is sent as is)."""
    parts = []
    for event in events:
        if isinstance(event, str):
            parts.append(f"event: content_block_delta\ndata: {event}\n\n")
        else:
            parts.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
    return "".join(parts).encode()


def message(
    *blocks: dict[str, Any] | str,
    stop_reason: str | None = "end_turn",
    input_tokens: int = 11,
    output_tokens: int = 2,
    cache_read: int | None = None,
    cache_write: int | None = None,
) -> dict[str, Any]:
    """A non-streamed ``message``; a string block is a text block."""
    content = [{"type": "text", "text": b} if isinstance(b, str) else b for b in blocks]
    usage: dict[str, Any] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if cache_read is not None:
        usage["cache_read_input_tokens"] = cache_read
    if cache_write is not None:
        usage["cache_creation_input_tokens"] = cache_write
    return {
        "id": "msg_unit",
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": MODEL,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def error_body(message: str, *, kind: str) -> dict[str, Any]:
    """Anthropic's error envelope."""
    return {"type": "error", "error": {"type": kind, "message": message}}


class MockApi(FakeApi[AnthropicService]):
    """A fake Messages API: a queue of responses (or a handler) and a log of requests."""

    service_class = AnthropicService
    provider = PROVIDER
    catalog = MODELS
    extra_models = (PROXIED_MODEL,)
    base_url = BASE_URL
    unit_key = UNIT_KEY

    stream_headers = {"content-type": "text/event-stream", "request-id": "req_stream"}  # noqa: RUF012

    def error(
        self, status: int, message: str, *, kind: str, headers: dict[str, str] | None = None
    ) -> MockApi:
        return self.json(error_body(message, kind=kind), status=status, headers=headers)

    def managed(
        self,
        *,
        keys: ApiKeyManager | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> ManagedService:
        """The core's wrapper (keys, retries, error hooks) around a service on this fake.

        Built by a real ``LlmServiceFactory`` (so the base URL comes from the environment and
        errors go through the plugin hooks); ``sleep`` replaces the waits between attempts.
        """
        factory = LlmServiceFactory(
            plugins=Plugins(),
            keys=keys or ApiKeyManager({"anthropic": Secret(UNIT_KEY)}),
            policy=policy or RetryPolicy(max_attempts=3, base=0.001, cap=0.01),
        )
        built = factory.for_provider("anthropic")
        assert isinstance(built.service, AnthropicService)
        service = AnthropicService(built.service.context, http_client=self.http_client())
        return ManagedService(
            provider=built.provider,
            service=service,
            resolve=factory.model,
            map_error=factory.map_error,
            keys=factory.keys,
            policy=factory.policy,
            on_retry=on_retry,
            sleep=_no_wait if sleep is None else sleep,
        )


async def _no_wait(seconds: float) -> None:
    return None


async def drain(events: AsyncIterator[Any], into: list[Any]) -> None:
    """Consume a stream into ``into``; what arrived stays there if the stream raises."""
    async for event in events:
        into.append(event)
