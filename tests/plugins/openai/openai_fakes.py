"""Fakes for the OpenAI plugin's unit tests: the real SDK over ``httpx2.MockTransport``.

openai 3.x speaks httpx2, so respx and pytest-httpx never see its requests; the fake server
is a handler function plugged into the SDK through ``http_client=`` (DESIGN.md §9).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import httpx2

from liminal import Capabilities, ModelInfo, Secret
from liminal.registry import ModelRegistry, ProviderRegistry
from liminal.service import ServiceContext, Timeouts
from liminal_openai.catalog import MODELS
from liminal_openai.plugin import PROVIDER
from liminal_openai.service import OpenAIService

BASE_URL = "https://api.openai.test/v1"
COMPAT_URL = "http://compat.test:8080/v1"
UNIT_KEY = "sk-unit-test-key-0001"

#: A user-declared model on its own OpenAI-compatible server, with its own key variable.
COMPAT_MODEL = ModelInfo(
    id="local-llm",
    provider="openai",
    display_name="local-llm",
    context_window=4096,
    max_output_tokens=1024,
    capabilities=Capabilities(streaming=True),
    base_url=COMPAT_URL,
    key_env_var="COMPAT_KEY",
)

Handler = Callable[[httpx2.Request], httpx2.Response]


def model_registry(*extra: ModelInfo) -> ModelRegistry:
    providers = ProviderRegistry()
    providers.add(PROVIDER)
    models = ModelRegistry(providers)
    for model in (*MODELS, *extra):
        models.add(model)
    return models


def chunk(
    content: str | None = None,
    *,
    finish: str | None = None,
    refusal: str | None = None,
    role: str | None = None,
    delta: bool = True,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    body: dict[str, Any] = {}
    if role is not None:
        body["role"] = role
    if content is not None:
        body["content"] = content
    if refusal is not None:
        body["refusal"] = refusal
    return {
        "id": "chatcmpl-unit",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": body if delta else None, "finish_reason": finish}],
    }


def usage_chunk(prompt: int = 7, completion: int = 3) -> dict[str, Any]:
    return {
        "id": "chatcmpl-unit",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def sse(*events: dict[str, Any] | str, done: bool = True) -> bytes:
    """An SSE body: each event as ``data: <json>``, then ``data: [DONE]``."""
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def completion(
    text: str | None = "Hello.",
    *,
    finish: str | None = "stop",
    refusal: str | None = None,
    usage: bool = True,
    choices: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-unit",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": refusal},
                "finish_reason": finish,
            }
        ]
        if choices
        else [],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13}
    return body


def error_body(message: str, *, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class TrackedStream(httpx2.AsyncByteStream):
    """A streamed response body that remembers whether the client closed it."""

    def __init__(self, parts: Iterable[bytes]) -> None:
        self._parts = list(parts)
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._parts:
            self.sent += 1
            yield part

    async def aclose(self) -> None:
        self.closed = True


class MockApi:
    """A fake OpenAI API: a queue of responses (or a handler) and a log of requests."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self._queue: list[httpx2.Response | Handler | BaseException] = []
        self.clients: list[httpx2.AsyncClient] = []

    # -- scripting ------------------------------------------------------------------------

    def reply(self, *responses: httpx2.Response | Handler | BaseException) -> MockApi:
        """Queue answers for the next requests; the last one repeats."""
        self._queue.extend(responses)
        return self

    def json(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> MockApi:
        return self.reply(httpx2.Response(status, json=body, headers=headers))

    def stream(self, body: bytes | TrackedStream) -> MockApi:
        headers = {"content-type": "text/event-stream"}
        if isinstance(body, TrackedStream):
            return self.reply(httpx2.Response(200, headers=headers, stream=body))
        return self.reply(httpx2.Response(200, headers=headers, content=body))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self._queue:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer) and not isinstance(answer, httpx2.Response):
            return answer(request)
        return answer

    # -- inspection -----------------------------------------------------------------------

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)  # type: ignore[no-any-return]

    def authorization(self, index: int = -1) -> str | None:
        return self.requests[index].headers.get("authorization")

    # -- the service under test -----------------------------------------------------------

    def http_client(self) -> httpx2.AsyncClient:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        self.clients.append(client)
        return client

    def service(
        self,
        *,
        base_url: str | None = BASE_URL,
        key: str | None = UNIT_KEY,
        timeouts: Timeouts | None = None,
        extra_models: tuple[ModelInfo, ...] = (COMPAT_MODEL,),
    ) -> OpenAIService:
        models = model_registry(*extra_models)
        secret = Secret(key) if key is not None else None
        context = ServiceContext(
            provider=PROVIDER,
            timeouts=timeouts or Timeouts(),
            model_info=models.resolve,
            base_url=base_url,
            default_key=lambda: secret,
        )
        return OpenAIService(context, http_client=self.http_client())

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
