"""The main job end to end: `liminal prompt -m smollm2` on the bundled model, no key."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.procs import expect_output, reaped, spawn_liminal

pytestmark = pytest.mark.integration

LIMINAL = str(Path(sys.executable).with_name("liminal"))
#: If the local engine cannot start here, these tests fail at once with its own error.
needs_engine = pytest.mark.usefixtures("llama_server")


def llama_server_pids(home: str) -> set[int]:
    """The local engines (``python -m liminal_local.engine``) running for ``LIMINAL_HOME`` =
    ``home``, zombies left out: engines of other test runs on the machine do not count."""
    pids = set()
    mark = f"LIMINAL_HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            if cmdline[1:3] != [b"-m", b"liminal_local.engine"]:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if mark in environ and state != "Z":
            pids.add(int(entry.name))
    return pids


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids):
            return set()
        time.sleep(0.05)
    return {pid for pid in pids if alive(pid)}


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


@needs_engine
def test_prompt_streams_an_answer_and_leaves_no_server(env: dict[str, str]) -> None:
    before = llama_server_pids(env["LIMINAL_HOME"])
    result = run(["prompt", "-m", "smollm2", "-o", "max_tokens", "24", "Say hello"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "no text was streamed"
    assert "Traceback" not in result.stderr
    assert wait_gone(llama_server_pids(env["LIMINAL_HOME"]) - before) == set()


@needs_engine
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


@needs_engine
def test_prompt_reads_standard_input(env: dict[str, str]) -> None:
    result = run(
        ["prompt", "-m", "smollm2", "--no-stream", "-o", "max_tokens", "8"],
        env,
        input="Name a colour.",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@needs_engine
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_the_engine_ends_with_the_cli_however_it_ends(
    sig: str, env: dict[str, str], tmp_path: Path
) -> None:
    """Ctrl-C, kill, a closed terminal, kill -9: no engine and no temporary file outlive it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = llama_server_pids(env["LIMINAL_HOME"])
    process = spawn_liminal(
        [
            "prompt",
            *("-m", "smollm2", "-o", "max_tokens", "1000"),
            *("-o", "temperature", "0", "-o", "seed", "1"),
            "Write a very long story about the sea.",
        ],
        {**env, "TMPDIR": str(temp)},
    )
    with reaped(process):
        expect_output(process, 1, timeout=120)  # the answer has started streaming
        started = llama_server_pids(env["LIMINAL_HOME"]) - before
        assert started, "the local engine was not running during the stream"
        for pid in started:  # its key came through a pipe: the command line holds none
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert argv[1:] == [b"-m", b"liminal_local.engine", b""]
        process.send_signal(getattr(signal, sig))
        _, err = process.communicate(timeout=30)
    if sig == "SIGINT":
        assert process.returncode == 130
        assert "Traceback" not in err
    assert wait_gone(started) == set()
    assert list(temp.iterdir()) == []


@needs_engine
def test_default_sampling_gives_a_short_answer(env: dict[str, str]) -> None:
    """Without options the local model gets its max output, a low temperature and a penalty."""
    result = run(["prompt", "--json", "Say hello"], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"].strip()
    assert data["usage"]["output"] <= 1024  # the model's max output, sent as max_tokens


def assert_one_error(result: subprocess.CompletedProcess[str], code: str, exit_code: int) -> str:
    """One ``Error [CODE]: …`` line and one hint line, nothing else; returns the message."""
    assert result.returncode == exit_code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"Error [{code}]: "), result.stderr
    assert lines[1].startswith("Hint: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_file_that_is_not_gguf_is_an_invalid_request(env: dict[str, str], tmp_path: Path) -> None:
    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"not a gguf")
    added = run(["local", "add", str(fake), "--name", "broken"], env)
    assert added.returncode == 0, added.stderr
    assert "broken" in run(["local", "list"], env).stdout
    before = llama_server_pids(env["LIMINAL_HOME"])
    message = assert_one_error(run(["prompt", "-m", "broken", "hi"], env), "INVALID_REQUEST", 2)
    assert "is not a GGUF file" in message
    # Refused before anything started.
    assert llama_server_pids(env["LIMINAL_HOME"]) - before == set()
    removed = run(["local", "remove", "broken"], env)
    assert removed.returncode == 0
    assert "broken" not in run(["local", "list"], env).stdout


def test_a_model_file_gone_missing_is_an_invalid_request(
    env: dict[str, str], tmp_path: Path
) -> None:
    model = tmp_path / "gone.gguf"
    model.write_bytes(b"GGUF")
    assert run(["local", "add", str(model), "--name", "gone"], env).returncode == 0
    model.unlink()
    message = assert_one_error(run(["prompt", "-m", "gone", "hi"], env), "INVALID_REQUEST", 2)
    assert f"model file {model} does not exist" in message


def test_an_engine_killed_by_sigill_says_the_cpu_cannot_run_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    engine = tmp_path / "llama-server"
    engine.write_text("#!/bin/sh\nkill -ILL $$\n")
    engine.chmod(0o755)
    result = run(["prompt", "hi"], {**env, "LIMINAL_LLAMA_SERVER": str(engine)})
    message = assert_one_error(result, "SERVER_ERROR", 5)
    assert "SIGILL" in message
    assert "this CPU cannot run this build" in message
    assert "LIMINAL_LLAMA_SERVER" in result.stderr.splitlines()[1]
    assert "retrying" not in result.stderr  # a crash is not retried


def test_a_taken_port_is_named(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(["prompt", "hi"], {**env, "LIMINAL_LOCAL_PORT": str(port)})
    message = assert_one_error(result, "SERVER_ERROR", 5)
    assert f"port {port} on 127.0.0.1 is already in use" in message


def test_a_load_timeout_says_how_to_raise_it(env: dict[str, str]) -> None:
    before = llama_server_pids(env["LIMINAL_HOME"])
    result = run(["prompt", "hi"], {**env, "LIMINAL_LOCAL_LOAD_TIMEOUT": "0.01"})
    message = assert_one_error(result, "SERVER_ERROR", 5)
    assert "did not load within 0.01 s" in message
    assert "LIMINAL_LOCAL_LOAD_TIMEOUT" in result.stderr.splitlines()[1]
    assert wait_gone(llama_server_pids(env["LIMINAL_HOME"]) - before) == set()


def test_a_bad_load_timeout_value_is_an_invalid_request(env: dict[str, str]) -> None:
    result = run(["prompt", "hi"], {**env, "LIMINAL_LOCAL_LOAD_TIMEOUT": "soon"})
    assert "LIMINAL_LOCAL_LOAD_TIMEOUT='soon'" in assert_one_error(result, "INVALID_REQUEST", 2)


def test_on_a_terminal_loading_is_a_live_line_that_makes_room(
    env: dict[str, str], tmp_path: Path
) -> None:
    """stderr on a terminal: the line is redrawn while the model loads, then erased."""
    import pty

    engine = tmp_path / "llama-server"
    fake = Path(__file__).parents[1] / "plugins" / "local" / "fake_llama_server.py"
    engine.write_text(f"#!{sys.executable}\n" + fake.read_text())
    engine.chmod(0o755)
    settings = {"LIMINAL_LLAMA_SERVER": str(engine), "FAKE_LLAMA_DELAY": "1.6"}
    leader, follower = pty.openpty()
    process = spawn_liminal(
        ["prompt", "hi"], {**env, **settings, "FAKE_LLAMA_RECORD": str(tmp_path)}, stderr=follower
    )
    os.close(follower)
    screen = b""
    with reaped(process):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chunk = os.read(leader, 4096)  # the fake answers no chat: the CLI then exits
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            screen += chunk
        process.wait(10)
    os.close(leader)
    text = screen.decode()
    assert "\rloading smollm2 (" in text
    assert text.count("… 1.") >= 2  # redrawn while it loads
    assert text.index("\r\x1b[K") < text.index("Error [")  # erased before anything else


def test_ctrl_c_while_the_model_loads_exits_130_and_leaves_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    engine = tmp_path / "llama-server"
    engine.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\nexec sleep 60\n")
    engine.chmod(0o755)
    process = spawn_liminal(["prompt", "hi"], {**env, "LIMINAL_LLAMA_SERVER": str(engine)})
    with reaped(process):
        deadline = time.monotonic() + 60
        while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        engine_pid = int((tmp_path / "pid").read_text())
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=5)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert (
        not Path(f"/proc/{engine_pid}").exists()
        or "Z" in Path(f"/proc/{engine_pid}/stat").read_text().rpartition(")")[2].split()[0]
    )


@needs_engine
def test_loading_is_reported_once_off_a_terminal(env: dict[str, str]) -> None:
    result = run(["prompt", "-o", "max_tokens", "4", "hi"], env)
    assert result.returncode == 0, result.stderr
    # Shown only when loading takes over a second; then exactly one line, never a live one.
    assert "\r" not in result.stderr
    loading = [line for line in result.stderr.splitlines() if "loading smollm2" in line]
    assert len(loading) <= 1
    assert all(line.endswith(" s)") and "ready in" in line for line in loading)


@needs_engine
def test_extract_usage_and_no_log(env: dict[str, str]) -> None:
    args = ["-o", "max_tokens", "40", "-o", "temperature", "0", "-o", "seed", "1"]
    ask = "Reply with a Python code block that prints hello."
    extracted = run(["prompt", "-x", "-u", "--no-log", *args, ask], env)
    assert extracted.returncode == 0, extracted.stderr
    assert "```" not in extracted.stdout  # the block's content, or the whole answer if none
    assert extracted.stdout.strip()
    assert re.search(r"Token usage: \d+ input, \d+ output", extracted.stderr)
    listed = run(["conversations", "list", "--json"], env)
    assert json.loads(listed.stdout) == []  # --no-log stored nothing
    logged = run(["prompt", *args, "hi"], env)
    assert logged.returncode == 0, logged.stderr
    assert len(json.loads(run(["conversations", "list", "--json"], env).stdout)) == 1
