"""Exact token counts for Claude models: the service's count_tokens against the count-tokens
endpoint, with the key the core chose, and nothing when it cannot count."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from liminal import ChatRequest, Message, Role
from liminal.factory import LlmServiceFactory

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

REQUEST = ChatRequest(
    "claude-haiku-4-5",
    (
        Message(Role.USER, "Tell me about the sea."),
        Message(Role.ASSISTANT, "It is large and salty.", "claude-haiku-4-5-20251001"),
        Message(Role.USER, "And the sky?"),
    ),
    system="Be brief.",
)


def server_count(server: LlamaServer) -> int:
    body = {
        "model": "claude-haiku-4-5-20251001",
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": "Tell me about the sea."},
            {"role": "assistant", "content": "It is large and salty."},
            {"role": "user", "content": "And the sky?"},
        ],
    }
    request = urllib.request.Request(
        server.root_url + "/v1/messages/count_tokens",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer K1", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(json.load(response)["input_tokens"])


@pytest.fixture
def anthropic_env(
    llama_server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    monkeypatch.setenv("LIMINAL_PLUGINS", "liminal-anthropic")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llama_server.root_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "K1")


def count() -> int | None:
    async def go() -> int | None:
        factory = LlmServiceFactory()
        try:
            return await factory.for_model(REQUEST.model).count_tokens(REQUEST)
        finally:
            await factory.aclose()

    return asyncio.run(go())


@pytest.mark.usefixtures("anthropic_env")
def test_the_endpoint_counts_with_the_key_the_core_chose(llama_server: LlamaServer) -> None:
    assert count() == server_count(llama_server)


@pytest.mark.usefixtures("anthropic_env")
def test_a_rejected_key_gives_no_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-key-for-counting")
    assert count() is None


@pytest.mark.usefixtures("anthropic_env")
def test_no_key_gives_no_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert count() is None
