"""The CLI's progress line: live and erased on a terminal, one line elsewhere, quiet if quick."""

from __future__ import annotations

import io

import pytest

from liminal.cli.progress import ProgressLine
from liminal.provider.service import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def loading(elapsed: float, done: bool = False) -> Progress:
    return Progress("local", "smollm2", "loading smollm2 (105 MB)", elapsed, done)


def test_on_a_terminal_the_line_is_live_then_erased() -> None:
    stream = Terminal()
    line = ProgressLine(stream)
    for elapsed in (0.2, 1.1, 1.6):
        line(loading(elapsed))
    line(loading(1.7, done=True))
    out = stream.getvalue()
    assert "0.2 s" not in out  # nothing shown in the first second
    assert "\rloading smollm2 (105 MB)… 1.1 s\033[K" in out
    assert "\rloading smollm2 (105 MB)… 1.6 s\033[K" in out
    assert out.endswith("\r\033[K")  # erased: the answer takes its place
    assert "\n" not in out


def test_off_a_terminal_one_line_once_ready() -> None:
    stream = io.StringIO()
    line = ProgressLine(stream)
    for elapsed in (0.5, 1.2, 2.0):
        line(loading(elapsed))
    line(loading(2.1, done=True))
    assert stream.getvalue() == "(loading smollm2 (105 MB): ready in 2.1 s)\n"


@pytest.mark.parametrize("stream", [Terminal(), io.StringIO()])
def test_quick_preparation_shows_nothing(stream: io.StringIO) -> None:
    line = ProgressLine(stream)
    line(loading(0.3))
    line(loading(0.4, done=True))
    assert stream.getvalue() == ""
