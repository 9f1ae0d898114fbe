"""Bounded reads from child processes' pipes, and reaping, so no test can hang on a child.

``read_at_least`` reads the pipe's file descriptor directly, bypassing the text wrapper of
``Popen(..., text=True)``. Do not call ``stream.read()`` or ``stream.readline()`` on the same
pipe afterwards: the wrapper may block, and it never sees the bytes read here. A later
``process.communicate()`` is fine: it returns only what arrived after those bytes (the read
stops on a character boundary, so what is left still decodes).
"""

from __future__ import annotations

import codecs
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from support.clirunner import liminal_script

#: Seconds a child gets to exit after SIGTERM before it is killed.
GRACE = 2.0
#: Bytes asked of the pipe per read; whatever arrives is kept and returned.
CHUNK = 65536


def read_at_least(stream: IO[str], n: int, timeout: float) -> str:
    """At least ``n`` characters from a child's pipe (fewer only at EOF), or TimeoutError."""
    fd = stream.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while len(text) < n or decoder.getstate()[0]:  # stop on a character boundary
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if len(text) >= n:
                    return text  # enough, though the last character is still incomplete
                raise TimeoutError(
                    f"{len(text)} of {n} characters after {timeout:g} s; read so far: {text!r}"
                )
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, CHUNK)  # readable: returns what is there without blocking
            if not chunk:
                return text + decoder.decode(b"", final=True)
            text += decoder.decode(chunk)
    return text


@contextmanager
def reaped(process: subprocess.Popen[str], timeout: float = 10) -> Iterator[subprocess.Popen[str]]:
    """Yield the process; on exit stop it (SIGTERM, then SIGKILL), wait, close its pipes."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=min(GRACE, timeout))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # stdin with unsent data to a dead child: BrokenPipeError
                    pass


def stderr_after_kill(process: subprocess.Popen[str], timeout: float = 10) -> str:
    """Kill the child and return its stderr, which usually says why it stalled."""
    process.kill()
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # a grandchild still holds the pipe open
        return "<stderr still open>"
    return err or ""


def expect_output(process: subprocess.Popen[str], n: int, timeout: float) -> str:
    """``read_at_least`` on stdout; on a stall or early EOF, fail with the child's stderr."""
    assert process.stdout is not None
    try:
        text = read_at_least(process.stdout, n, timeout)
    except TimeoutError as stalled:
        problem = f"stdout stalled: {stalled}"
    else:
        if len(text) >= n:
            return text
        problem = f"stdout closed after {len(text)} of {n} characters: {text!r}"
    pytest.fail(f"{problem}\nstderr:\n{stderr_after_kill(process)}")


def run_plugin_tests(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A plugin project's own test suite (``tests/``), run with pytest in a child; it must
    pass."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def spawn_liminal(
    args: Sequence[str], env: Mapping[str, str], **popen: Any
) -> subprocess.Popen[str]:
    """``liminal ARGS`` as a child with text pipes for stdout and stderr; ``popen`` adds to or
    overrides those (a stdin pipe, a terminal for stderr). Reap it with ``reaped``."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    options.update(popen)
    return subprocess.Popen([liminal_script(), *args], env=env, **options)
