"""How the CLI shows a service's slow preparation (a local model loading) on stderr."""

from __future__ import annotations

import sys
from typing import TextIO

import click

from liminal.provider.service import Progress

__all__ = ["ProgressLine"]

#: Preparation quicker than this is not shown at all.
SHOW_AFTER = 1.0


class ProgressLine:
    """On a terminal, a live line (``loading smollm2 (105 MB)… 1.4 s``) that is erased when the
    work is done, so the answer takes its place; elsewhere, one line once it is done."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._shown = False

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, progress: Progress) -> None:
        tty = self.stream.isatty()
        if progress.done:
            if self._shown:
                self._write("\r\033[K")
                self._shown = False
            elif not tty and progress.elapsed >= SHOW_AFTER:
                self._write(f"({progress.activity}: ready in {progress.elapsed:.1f} s)\n")
            return
        if tty and progress.elapsed >= SHOW_AFTER:
            self._write(f"\r{progress.activity}… {progress.elapsed:.1f} s\033[K")
            self._shown = True

    def _write(self, text: str) -> None:
        click.echo(text, file=self.stream, nl=False)
        self.stream.flush()
