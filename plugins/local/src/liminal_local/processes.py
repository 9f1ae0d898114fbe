"""Process and port chores of the local engine: ending it, reading its answers, its health.

Standard library only, and no import of ``liminal``.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import IO

_PR_SET_PDEATHSIG = 1


def end_process(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds (at once when 0); reaped either way."""
    if process.poll() is None:
        if grace > 0:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.kill()
    process.wait()


def read_available(stream: IO[bytes] | None) -> bytes:
    """What the engine has written to its answer pipe so far (maybe nothing); never waits."""
    if stream is None:
        return b""
    ready, _, _ = select.select([stream], [], [], 0)
    return os.read(stream.fileno(), 4096) if ready else b""


def healthy(root_url: str) -> bool:
    try:
        with urllib.request.urlopen(root_url + "/health", timeout=1.0) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False  # refused while binding, 503 while loading the model


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """Whether something already accepts connections there (it would answer our health checks)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def die_with_parent() -> Callable[[], None] | None:
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
