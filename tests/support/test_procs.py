"""The pipe helpers in procs.py against real ``python -c`` children."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from support import procs
from support.procs import expect_output, read_at_least, reaped


def child(code: str) -> subprocess.Popen[str]:
    """A Python child running ``code``, every pipe captured as text."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def gone(pid: int) -> bool:
    """True once the pid is reaped: no process, not even a zombie, has it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


SLOW = """
    import sys, time
    for part in ("ab", "cd", "ef"):
        sys.stdout.write(part)
        sys.stdout.flush()
        time.sleep(0.2)
    time.sleep(60)
"""


def test_read_at_least_waits_for_slow_output() -> None:
    with reaped(child(SLOW)) as process:
        assert process.stdout is not None
        text = read_at_least(process.stdout, 5, timeout=10)
    assert text == "abcdef"


def test_read_at_least_times_out_on_a_stalled_child_with_what_arrived() -> None:
    code = "import sys, time; sys.stdout.write('abcdef'); sys.stdout.flush(); time.sleep(60)"
    with reaped(child(code)) as process:
        assert process.stdout is not None
        assert select.select([process.stdout], [], [], 10)[0], "the child wrote nothing"
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r"6 of 100 characters .*'abcdef'"):
            read_at_least(process.stdout, 100, timeout=0.5)
        assert time.monotonic() - start < 3


def test_read_at_least_never_blocks_past_the_deadline() -> None:
    with reaped(child("import time; time.sleep(60)")) as process:
        assert process.stdout is not None
        start = time.monotonic()
        with pytest.raises(TimeoutError, match="read so far: ''"):
            read_at_least(process.stdout, 1, timeout=0.5)
        assert time.monotonic() - start < 3


def test_read_at_least_returns_less_at_eof() -> None:
    with reaped(child("print('hi')")) as process:
        assert process.stdout is not None
        assert read_at_least(process.stdout, 100, timeout=10) == "hi\n"


def test_a_split_character_is_read_whole_and_communicate_gets_the_rest() -> None:
    code = """
        import sys, time
        out = sys.stdout.buffer
        for part in (b"\\xc3", b"\\xa9", b"-rest"):
            out.write(part)
            out.flush()
            time.sleep(0.2)
    """
    with reaped(child(code)) as process:
        assert process.stdout is not None
        first = read_at_least(process.stdout, 1, timeout=10)
        rest, _ = process.communicate(timeout=10)
    assert first.startswith("é")
    assert first + rest == "é-rest"


def test_reaped_terminates_a_running_child_and_closes_its_pipes() -> None:
    with reaped(child("import time; time.sleep(60)")) as process:
        pass
    assert process.returncode == -signal.SIGTERM
    assert gone(process.pid)
    assert process.stdout is not None
    assert process.stdout.closed


def test_reaped_kills_a_child_that_ignores_sigterm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procs, "GRACE", 0.2)
    code = """
        import signal, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
    """
    start = time.monotonic()
    with reaped(child(code)) as process:
        assert process.stdout is not None
        assert read_at_least(process.stdout, 5, timeout=10).startswith("ready")
    assert process.returncode == -signal.SIGKILL
    assert gone(process.pid)
    assert time.monotonic() - start < 10


def test_reaped_reaps_when_the_block_fails_and_lets_the_failure_through() -> None:
    process = child("input()")

    def failing_test() -> None:
        with reaped(process):
            assert process.stdin is not None
            process.stdin.write("unsent: the child dies first")  # buffered, never flushed
            raise AssertionError("inside")

    with pytest.raises(AssertionError, match="inside"):
        failing_test()
    assert process.returncode is not None
    assert gone(process.pid)


def test_reaped_leaves_a_finished_child_alone() -> None:
    with reaped(child("print('done')")) as process:
        out, _ = process.communicate(timeout=10)
    assert out == "done\n"
    assert process.returncode == 0


def test_expect_output_fails_with_the_stderr_of_a_stalled_child() -> None:
    code = """
        import sys
        print("Error: something went wrong", file=sys.stderr, flush=True)
        input()
    """
    start = time.monotonic()
    with (
        reaped(child(code)) as process,
        pytest.raises(pytest.fail.Exception, match=r"(?s)stdout stalled.*something went wrong"),
    ):
        expect_output(process, 1, timeout=1)
    assert time.monotonic() - start < 5
    assert gone(process.pid)


def test_expect_output_fails_with_the_stderr_of_a_child_that_exits_early() -> None:
    code = "import sys; print('ok'); sys.exit('Error: gave up')"
    with (
        reaped(child(code)) as process,
        pytest.raises(pytest.fail.Exception, match=r"(?s)closed after 3 of 10 .*gave up"),
    ):
        expect_output(process, 10, timeout=10)


def test_expect_output_returns_what_arrived() -> None:
    with reaped(child(SLOW)) as process:
        assert expect_output(process, 5, timeout=10) == "abcdef"
