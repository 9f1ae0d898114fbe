"""Start-up: ``liminal models list`` against ``python -c "import click, pluggy"``.

Both run as fresh subprocesses of the same interpreter (the console script next to
``sys.executable``), interleaved, after warm-up runs that fill the page and bytecode caches.
Separate ``-X importtime`` runs list every module the command imports, to prove that no
provider SDK is among them, and show which packages the import time goes to.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from env import liminal_env

__all__ = ["FORBIDDEN", "StartupResult", "run"]

#: Top-level packages `liminal models list` must not import.
FORBIDDEN = ("openai", "anthropic", "httpx2")
BASELINE = ("-c", "import click, pluggy")
WARMUP = 2
IMPORT_RUNS = 3
HEAVIEST = 10
TIMEOUT = 60.0


@dataclass
class StartupResult:
    runs: int
    liminal_ms: list[float]
    baseline_ms: list[float]
    forbidden_imported: list[str]
    modules_imported: int
    #: (µs, top-level package): import time the command spends beyond the baseline's, by
    #: package (self times summed, medians of a few ``-X importtime`` runs), largest first.
    heaviest: list[tuple[int, str]] = field(default_factory=list)
    import_total_us: int = 0
    import_extra_us: int = 0
    #: The same command with the registry rebuilt (``LIMINAL_NO_CACHE=1``): the first run
    #: after an install, an uninstall or a config change.
    cold_ms: list[float] = field(default_factory=list)
    #: Provider SDKs imported on that cold path (must be none as well).
    cold_forbidden: list[str] = field(default_factory=list)

    @property
    def liminal_median(self) -> float:
        return statistics.median(self.liminal_ms)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline_ms)

    @property
    def ratio(self) -> float:
        return self.liminal_median / self.baseline_median


def console_script() -> Path:
    script = Path(sys.executable).parent / "liminal"
    if not script.is_file():
        raise SystemExit(f"no `liminal` console script next to {sys.executable}")
    return script


def _timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=TIMEOUT,
        check=False,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{argv} exited with {done.returncode}: {' | '.join(tail)}")
    return elapsed


def _imports(argv: list[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """``(self µs, cumulative µs, name)`` of every module ``argv`` imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=TIMEOUT,
        check=True,
    )
    rows = []
    for line in done.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|", 2)
        rows.append((int(own), int(cumulative), name.strip()))
    return rows


def _per_package(runs: list[list[tuple[int, int, str]]]) -> dict[str, int]:
    """Median over runs of each top-level package's summed self import time (µs)."""
    totals: dict[str, list[int]] = {}
    for rows in runs:
        sums: dict[str, int] = {}
        for own, _, name in rows:
            top = name.split(".")[0]
            sums[top] = sums.get(top, 0) + own
        for package in sums.keys() | totals.keys():
            totals.setdefault(package, []).append(sums.get(package, 0))
    return {package: int(statistics.median(values)) for package, values in totals.items()}


def run(runs: int = 15, log=print) -> StartupResult:
    script = console_script()
    liminal_argv = [str(script), "models", "list"]
    baseline_argv = [sys.executable, *BASELINE]
    with liminal_env():
        env = dict(os.environ)
        for _ in range(WARMUP):
            _timed(liminal_argv, env)
            _timed(baseline_argv, env)
        liminal_ms: list[float] = []
        baseline_ms: list[float] = []
        for i in range(runs):  # interleaved, alternating which goes first
            pair = [(liminal_argv, liminal_ms), (baseline_argv, baseline_ms)]
            for argv, sink in pair if i % 2 == 0 else reversed(pair):
                sink.append(_timed(argv, env))
        cold_env = dict(env, LIMINAL_NO_CACHE="1")
        cold_ms = [_timed(liminal_argv, cold_env) for _ in range(runs)]
        cold_names = {name for _, _, name in _imports(liminal_argv, cold_env)}
        liminal_rows = [_imports(liminal_argv, env) for _ in range(IMPORT_RUNS)]
        baseline_rows = [_imports(list(BASELINE), env) for _ in range(IMPORT_RUNS)]
    names = {name for rows in liminal_rows for _, _, name in rows}
    forbidden = sorted(n for n in names if n.split(".")[0] in FORBIDDEN)
    mine, base = _per_package(liminal_rows), _per_package(baseline_rows)
    extra = {p: us - base.get(p, 0) for p, us in mine.items() if us - base.get(p, 0) > 0}
    heaviest = sorted(((us, p) for p, us in extra.items()), reverse=True)[:HEAVIEST]
    result = StartupResult(
        runs,
        liminal_ms,
        baseline_ms,
        forbidden,
        len(names),
        heaviest,
        import_total_us=sum(mine.values()),
        import_extra_us=sum(extra.values()),
        cold_ms=cold_ms,
        cold_forbidden=sorted(n for n in cold_names if n.split(".")[0] in FORBIDDEN),
    )
    log(
        f"start-up: liminal models list {result.liminal_median:.1f} ms, "
        f"import click, pluggy {result.baseline_median:.1f} ms, ratio {result.ratio:.2f}x; "
        f"cold (registry rebuilt) {statistics.median(cold_ms):.1f} ms"
    )
    return result
