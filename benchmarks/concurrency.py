"""Concurrency: N concurrent Liminal streams in one process, memory per stream at each N.

The mock (``sse_server.py``) runs in its own process, and each level in a fresh worker
process (``stream_load.py``), so a level's peak RSS holds only the client and its N streams.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mockserver import MockServer

__all__ = ["ConcurrencyResult", "Level", "run"]

HERE = Path(__file__).resolve().parent
CHUNKS = 50
LEVEL_TIMEOUT = 180.0


@dataclass
class Level:
    streams: int
    seconds: float
    seconds_to_all_open: float | None
    all_open_at_once: bool
    baseline_kib: int
    peak_kib: int
    after_kib: int
    completed: int
    exactly_one_finish: int
    one_usage: int
    text_chunks: list[int]
    error_count: int
    errors: list[str]

    @property
    def kib_per_stream(self) -> float:
        return (self.peak_kib - self.baseline_kib) / self.streams

    @property
    def ok(self) -> bool:
        return (
            self.completed == self.streams
            and self.exactly_one_finish == self.streams
            and self.one_usage == self.streams
            and self.text_chunks == [CHUNKS]
            and self.error_count == 0
            and self.all_open_at_once
        )


@dataclass
class ConcurrencyResult:
    chunks: int
    levels: list[Level]

    @property
    def all_ok(self) -> bool:
        return all(level.ok for level in self.levels)

    @property
    def spread(self) -> float:
        """Largest KiB/stream over the smallest: 1.0 is perfectly flat."""
        values = [level.kib_per_stream for level in self.levels]
        return max(values) / min(values) if min(values) > 0 else float("inf")


def _level(base_url: str, streams: int) -> Level:
    done = subprocess.run(
        [sys.executable, str(HERE / "stream_load.py"), "--base-url", base_url,
         "--streams", str(streams), "--chunks", str(CHUNKS)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=LEVEL_TIMEOUT,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{streams} streams: worker failed: {done.stderr.strip()[-500:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Level(**{name: data[name] for name in Level.__dataclass_fields__})


def run(levels: tuple[int, ...] = (50, 100, 250, 500), log=print) -> ConcurrencyResult:
    with MockServer(CHUNKS) as mock:
        base_url = mock.base_url
        results = []
        for streams in levels:
            level = _level(base_url, streams)
            results.append(level)
            log(
                f"concurrency: {streams} streams, +{level.peak_kib - level.baseline_kib} KiB peak "
                f"({level.kib_per_stream:.1f} KiB/stream), {level.exactly_one_finish} with one "
                f"Finish, {level.seconds:.1f} s"
            )
    return ConcurrencyResult(CHUNKS, results)
