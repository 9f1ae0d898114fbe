"""Fakes for the OpenAI plugin's unit tests: the real SDK over ``httpx2.MockTransport``.

openai 3.x speaks httpx2, so respx and pytest-httpx never see its requests; the fake server
is a handler function plugged into the SDK through ``http_client=``.
"""

from __future__ import annotations

import json
from typing import Any

from liminal import ModelInfo
from liminal.provider.registry import ModelRegistry
from liminal_openai.catalog import MODELS
from liminal_openai.plugin import PROVIDER
from liminal_openai.service import OpenAIService
from support.catalog import fake_model
from support.fakeapi import FakeApi, registry_of
from support.fakeapi import TrackedStream as TrackedStream  # re-exported for the tests

BASE_URL = "https://api.openai.test/v1"
COMPAT_URL = "http://compat.test:8080/v1"
UNIT_KEY = "sk-unit-test-key-0001"

#: A user-declared model on its own OpenAI-compatible server, with its own key variable.
COMPAT_MODEL = fake_model("local-llm", "openai", base_url=COMPAT_URL, key_env_var="COMPAT_KEY")


def model_registry(*extra: ModelInfo) -> ModelRegistry:
    return registry_of(PROVIDER, *MODELS, *extra)


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


class MockApi(FakeApi[OpenAIService]):
    """A fake OpenAI API: a queue of responses (or a handler) and a log of requests."""

    service_class = OpenAIService
    provider = PROVIDER
    catalog = MODELS
    extra_models = (COMPAT_MODEL,)
    base_url = BASE_URL
    unit_key = UNIT_KEY
