"""Graceful degradation from the CLI: an unreachable provider, then the local model answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]

LIMINAL = str(Path(sys.executable).with_name("liminal"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    clean["LIMINAL_HOME"] = str(tmp_path)
    clean["LIMINAL_PLUGINS"] = "liminal-openai,liminal-anthropic,liminal-local"
    clean["OPENAI_API_KEY"] = "sk-test-fallback-key-000000"
    clean["OPENAI_BASE_URL"] = f"http://127.0.0.1:{closed_port()}/v1"
    (tmp_path / "config.json").write_text(json.dumps({"retry": {"max_attempts": 2, "base": 0.05}}))
    return clean


def liminal(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LIMINAL, *args], env=env, capture_output=True, text=True, timeout=120)


def test_fallback_answers_and_the_cli_says_which_model(env: dict[str, str]) -> None:
    result = liminal(
        [
            "prompt",
            "-m",
            "gpt-4o",
            "--fallback",
            "smollm2",
            "--json",
            "-o",
            "max_tokens",
            "8",
            "Say hello",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "network error reaching openai; retrying" in result.stderr
    assert "gpt-4o failed (NETWORK" in result.stderr
    assert "falling back to smollm2" in result.stderr
    assert "(answered by smollm2)" in result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "smollm2"
    assert data["text"]
    stored = json.loads(
        liminal(["conversations", "show", data["conversation"], "--json"], env).stdout
    )
    assert stored["messages"][-1]["model"] == "smollm2"
    assert stored["messages"][-1]["status"] == "complete"
    assert "sk-test-fallback-key" not in result.stderr + result.stdout


def test_fallbacks_from_config(env: dict[str, str]) -> None:
    config = Path(env["LIMINAL_HOME"]) / "config.json"
    config.write_text(
        json.dumps({"retry": {"max_attempts": 1}, "fallbacks": {"gpt-4o": ["smollm2"]}})
    )
    result = liminal(["prompt", "-m", "4o", "-o", "max_tokens", "8", "Say hello"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "(answered by smollm2)" in result.stderr


def test_without_fallback_the_outage_is_reported(env: dict[str, str]) -> None:
    result = liminal(["prompt", "-m", "gpt-4o", "Say hello"], env)
    assert result.returncode == 5
    assert result.stderr.splitlines()[-2].startswith("Error [NETWORK]: ")
    assert "gave up after 2 attempts" in result.stderr


def test_a_broken_config_file_is_reported_and_kept(env: dict[str, str]) -> None:
    config = Path(env["LIMINAL_HOME"]) / "config.json"
    config.write_text('{"retry": {"max_atempts": 2}}')
    result = liminal(["prompt", "-m", "gpt-4o", "hi"], env)
    assert result.returncode == 2
    # The first line may say that the home (pytest's tmp dir, 0755) was made private.
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error [")]
    assert errors[0].startswith(f"Error [INVALID_REQUEST]: config file {config} is not valid")
    assert config.read_text() == '{"retry": {"max_atempts": 2}}'
