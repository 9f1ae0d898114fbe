"""liminal_count_tokens for Claude models: the count-tokens endpoint, only when asked."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from liminal import Message, Role
from liminal.plugins import Plugins

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

MESSAGES = [
    Message(Role.SYSTEM, "Be brief."),
    Message(Role.USER, "Tell me about the sea."),
    Message(Role.ASSISTANT, "It is large and salty.", "claude-haiku-4-5-20251001"),
    Message(Role.USER, "And the sky?"),
]


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
def hook(llama_server: LlamaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Plugins:
    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    monkeypatch.setenv("LIMINAL_PLUGINS", "liminal-anthropic")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llama_server.root_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "K1")
    return Plugins()


def count(plugins: Plugins) -> int | None:
    model = plugins.models.resolve("claude-haiku-4-5")
    return plugins.pm.hook.liminal_count_tokens(model=model, messages=MESSAGES)  # type: ignore[no-any-return]


def test_without_asking_the_core_estimate_answers(hook: Plugins) -> None:
    from liminal.context import estimate_tokens

    assert count(hook) == estimate_tokens(MESSAGES)


def test_asked_for_exactness_the_endpoint_answers(
    hook: Plugins, tmp_path: Path, llama_server: LlamaServer
) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"exact_token_counts": True}))
    assert count(hook) == server_count(llama_server)


def test_a_rejected_key_falls_back_to_the_estimate(
    hook: Plugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liminal.context import estimate_tokens

    (tmp_path / "config.json").write_text(json.dumps({"exact_token_counts": True}))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-key-for-counting")
    assert count(hook) == estimate_tokens(MESSAGES)
