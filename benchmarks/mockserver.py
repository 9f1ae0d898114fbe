"""Run ``sse_server.py`` (the streaming mock) as a child process on 127.0.0.1."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["MockServer"]

HERE = Path(__file__).resolve().parent
READY_TIMEOUT = 15.0
LIFETIME = 600.0  # the child exits by itself after this many seconds at the latest


class MockServer:
    """``with MockServer() as mock: mock.base_url`` (``http://127.0.0.1:PORT/v1``)."""

    def __init__(self, chunks: int = 50) -> None:
        self.chunks = chunks
        self.port: int | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the mock server is not started")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic SDK's base URL (it adds ``/v1``)."""
        return self.base_url.removesuffix("/v1")

    def start(self) -> MockServer:
        argv = [sys.executable, str(HERE / "sse_server.py"), "--chunks", str(self.chunks)]
        self._process = subprocess.Popen(
            [*argv, "--lifetime", str(LIFETIME)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT
        line = ""
        while self._process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([self._process.stdout], [], [], remaining)
            if not ready:
                break
            line = self._process.stdout.readline()  # the server prints its port first
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
                return self
        self.stop()
        raise RuntimeError(f"the mock server did not start (last output: {line!r})")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
