"""`liminal chat` checks its key at start-up, remembers the answer, and never blocks on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

LIMINAL = str(Path(sys.executable).with_name("liminal"))
KEY = "sk-test-chat-startup-key-0042"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    clean["LIMINAL_HOME"] = str(tmp_path)
    clean["LIMINAL_PLUGINS"] = "liminal-openai,liminal-anthropic,liminal-local"
    clean["OPENAI_API_KEY"] = KEY
    return clean


def chat(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIMINAL, "chat", "-m", "gpt-4o"],
        input="/exit\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_rejected_key_is_reported_once_per_ttl(env: dict[str, str], faults: Faults) -> None:
    env["OPENAI_BASE_URL"] = faults.base_url
    faults.error(
        401,
        body={
            "error": {
                "message": "Incorrect API key",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
    )
    first = chat(env)
    assert first.returncode == 0, first.stderr
    assert "Warning: the openai key 'OPENAI_API_KEY'" in first.stderr
    assert "was rejected; fix it with `liminal keys set openai`" in first.stderr
    assert faults.requests("/v1/models") == 1
    second = chat(env)  # within the TTL: the remembered answer, no request
    assert "was rejected" in second.stderr
    assert faults.requests("/v1/models") == 1
    for output in (first.stdout, first.stderr, second.stdout, second.stderr):
        assert KEY not in output


def test_a_valid_key_starts_quietly(env: dict[str, str], faults: Faults) -> None:
    env["OPENAI_BASE_URL"] = faults.base_url
    result = chat(env)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    assert faults.requests("/v1/models") == 1


def test_an_unreachable_provider_does_not_block_the_chat(env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    result = chat(env)
    assert result.returncode == 0, result.stderr
    assert "Chatting with gpt-4o" in result.stderr
    assert "Warning" not in result.stderr
