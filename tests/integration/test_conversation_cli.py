"""The conversation core through the CLI, on the local model: what survives a hard kill,
which model ``-c`` resumes, a conversation that overflowed, requests refused before sending."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liminal_local.server import find_bundled_model
from support.procs import expect_output, reaped, spawn_liminal

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]

LIMINAL = str(Path(sys.executable).with_name("liminal"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    clean["LIMINAL_HOME"] = str(tmp_path)
    return clean


def liminal(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIMINAL, *args], env=env, capture_output=True, text=True, timeout=180, stdin=None
    )


def conversations(env: dict[str, str]) -> list[dict[str, object]]:
    result = liminal(["conversations", "list", "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def show(env: dict[str, str], cid: str) -> dict[str, object]:
    result = liminal(["conversations", "show", cid, "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def add_model(env: dict[str, str], name: str, context_window: int, max_output: int) -> None:
    result = liminal(
        [
            *("local", "add", str(find_bundled_model()), "--name", name),
            *("--context-window", str(context_window), "--max-output", str(max_output)),
        ],
        env,
    )
    assert result.returncode == 0, result.stderr


def test_kill_9_mid_stream_keeps_the_text_already_shown(env: dict[str, str]) -> None:
    process = spawn_liminal(
        [
            "prompt",
            *("-o", "max_tokens", "1000", "-o", "temperature", "0", "-o", "seed", "1"),
            "Write a very long story about the sea.",
        ],
        env,
    )
    with reaped(process):
        shown = expect_output(process, 80, timeout=120)
        time.sleep(0.6)  # more than one flush interval after those characters arrived
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    [listed] = conversations(env)
    answer = show(env, str(listed["id"]))["messages"][-1]  # type: ignore[index]
    assert answer["status"] == "interrupted"  # its writer is dead: no longer "streaming"
    assert answer["content"].startswith(shown[:80])
    follow_up = liminal(["prompt", "-c", "--json", "-o", "max_tokens", "4", "Go on."], env)
    assert follow_up.returncode == 0, follow_up.stderr
    messages = show(env, str(listed["id"]))["messages"]
    assert len(messages) == 4  # type: ignore[arg-type]


def test_continue_resumes_the_conversations_own_model(env: dict[str, str]) -> None:
    add_model(env, "smol2", 2048, 64)
    script = "Hello.\n/model smol2\n/exit\n"
    chat = subprocess.run(
        [LIMINAL, "chat", "-o", "max_tokens", "8"],
        env=env,
        input=script,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert chat.returncode == 0, chat.stderr
    assert "Switched to smol2; 2 messages kept." in chat.stderr
    resumed = liminal(["prompt", "-c", "--json", "-o", "max_tokens", "4", "Hi again."], env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["model"] == "smol2"
    chosen = liminal(
        ["prompt", "-c", "-m", "smollm2", "--json", "-o", "max_tokens", "4", "And you?"], env
    )
    assert json.loads(chosen.stdout)["model"] == "smollm2"  # -m wins, and is remembered
    again = liminal(["prompt", "-c", "--json", "-o", "max_tokens", "4", "Bye."], env)
    assert json.loads(again.stdout)["model"] == "smollm2"


def test_a_conversation_that_overflowed_recovers(env: dict[str, str]) -> None:
    add_model(env, "tiny", 512, 64)
    dense = " ".join(f"x{i:04d}y" for i in range(300))  # far more tokens than characters / 3
    first = liminal(["prompt", "-m", "tiny", "-o", "max_tokens", "16", dense], env)
    assert first.returncode == 6, first.stderr
    assert "Error [CONTEXT_LENGTH_EXCEEDED]" in first.stderr
    [listed] = conversations(env)
    stored = show(env, str(listed["id"]))["messages"]
    assert [m["status"] for m in stored] == ["failed", "error"]  # type: ignore[index,union-attr]
    second = liminal(["prompt", "-c", "--json", "-o", "max_tokens", "8", "ok?"], env)
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["conversation"] == listed["id"]
    assert data["usage"]["input"] < 100  # the failed turn was not sent again


def test_a_request_refused_before_sending_stores_nothing(env: dict[str, str]) -> None:
    refused = liminal(["prompt", "-o", "temperature", "7", "hi"], env)
    assert refused.returncode == 2, refused.stderr
    assert "Error [INVALID_REQUEST]" in refused.stderr
    assert conversations(env) == []
