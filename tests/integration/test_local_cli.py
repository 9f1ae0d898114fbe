"""The main job end to end: `liminal prompt -m smollm2` on the bundled model, no key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LIMINAL = str(Path(sys.executable).with_name("liminal"))


def llama_server_pids() -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"llama-server"):
            pids.add(int(entry.name))
    return pids


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = pids & llama_server_pids()
        if not alive:
            return set()
        time.sleep(0.05)
    return pids & llama_server_pids()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    clean.pop("OPENAI_BASE_URL", None)
    clean.pop("ANTHROPIC_BASE_URL", None)
    clean["LIMINAL_HOME"] = str(tmp_path)
    return clean


def run(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LIMINAL, *args], env=env, capture_output=True, text=True, timeout=120, **kwargs
    )


def test_default_model_is_the_local_one_without_a_preference(env: dict[str, str]) -> None:
    result = run(["models", "default"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "smollm2"


def test_prompt_streams_an_answer_and_leaves_no_server(env: dict[str, str]) -> None:
    before = llama_server_pids()
    result = run(["prompt", "-m", "smollm2", "-o", "max_tokens", "24", "Say hello"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "no text was streamed"
    assert "Traceback" not in result.stderr
    assert wait_gone(llama_server_pids() - before) == set()


def test_prompt_without_model_uses_the_default(env: dict[str, str]) -> None:
    result = run(["prompt", "--json", "-o", "max_tokens", "8", "-o", "seed", "1", "Hi"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] == "smollm2"
    assert data["provider"] == "local"
    assert data["text"]
    assert data["finish_reason"] == "length"
    assert data["usage"]["output"] == 8
    assert data["usage"]["input"] > 0


def test_prompt_reads_standard_input(env: dict[str, str]) -> None:
    result = run(
        ["prompt", "-m", "smollm2", "--no-stream", "-o", "max_tokens", "8"],
        env,
        input="Name a colour.",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_ctrl_c_mid_stream_stops_the_server(env: dict[str, str]) -> None:
    before = llama_server_pids()
    process = subprocess.Popen(
        [
            LIMINAL,
            "prompt",
            "-m",
            "smollm2",
            "-o",
            "max_tokens",
            "1000",
            *("-o", "temperature", "0", "-o", "seed", "1"),  # greedy: runs to its limit
            "Write a very long story about the sea.",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.read(1)  # the answer has started streaming
        assert first
        started = llama_server_pids() - before
        assert started, "the local server was not running during the stream"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "Traceback" not in err
    assert wait_gone(started) == set()


def test_unknown_local_gguf_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"not a gguf")
    added = run(["local", "add", str(fake), "--name", "broken"], env)
    assert added.returncode == 0, added.stderr
    listed = run(["local", "list"], env)
    assert "broken" in listed.stdout
    result = run(["prompt", "-m", "broken", "hi"], env)
    assert result.returncode == 1
    assert "Error [UNKNOWN]: the local model server could not start" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Hint: ")
    assert "Traceback" not in result.stderr
    removed = run(["local", "remove", "broken"], env)
    assert removed.returncode == 0
    assert "broken" not in run(["local", "list"], env).stdout
