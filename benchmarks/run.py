"""Liminal's benchmarks: start-up, streaming overhead, peers and concurrency, the local engine.

    python benchmarks/run.py [--write]
        [--only startup,overhead,mock,anthropic,llama,peers,engine,ui]

``ui`` needs /usr/bin/chromium (Debian's ``chromium``) and the ``playwright`` package.
Prints the report as Markdown (progress goes to stderr); ``--write`` also rewrites
docs/performance.md. Everything talks to 127.0.0.1 only and stops by itself; the defaults
take about 20 minutes on two cores. ``peers`` (the raw SDKs, Liminal, LiteLLM and ``llm``
against the same mock, for OpenAI and Anthropic) makes LiteLLM's and ``llm``'s venvs from
PyPI on first use.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling modules, also when imported from elsewhere

import engine  # noqa: E402
import machine  # noqa: E402
import overhead  # noqa: E402
import peers  # noqa: E402
import startup  # noqa: E402
import streaming  # noqa: E402
import webui  # noqa: E402
from report import Results, document  # noqa: E402

BENCHMARKS = (
    "startup",
    "overhead",
    "mock",
    "anthropic",
    "llama",
    "peers",
    "engine",
    "ui",
)
DEFAULT_OUTPUT = HERE.parent / "docs" / "performance.md"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _levels(text: str) -> tuple[int, ...]:
    levels = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if not levels or levels[0] < 1 or levels[-1] > 2000:
        raise argparse.ArgumentTypeError("levels are stream counts between 1 and 2000")
    return levels


def _only(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BENCHMARKS)}")
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite docs/performance.md")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=argparse.SUPPRESS)
    parser.add_argument(
        "--only",
        type=_only,
        default=BENCHMARKS,
        help="comma-separated subset of: " + ", ".join(BENCHMARKS) + " (default: all)",
    )
    parser.add_argument("--runs", type=_positive, default=15, help="start-up runs per command")
    parser.add_argument(
        "--engine-runs", type=_positive, default=7, help="local engine starts (per engine)"
    )
    parser.add_argument("--pairs", type=_positive, default=20, help="llama-server stream pairs")
    parser.add_argument(
        "--max-tokens", type=_positive, default=64, help="max_tokens of each llama-server stream"
    )
    parser.add_argument(
        "--first-pairs", type=_positive, default=80, help="short stream pairs for the first token"
    )
    parser.add_argument("--mock-pairs", type=_positive, default=20, help="mock stream pairs")
    parser.add_argument(
        "--mock-chunks", type=_positive, default=1000, help="chunks per mock stream"
    )
    parser.add_argument(
        "--chunks", type=_positive, default=20_000, help="chunks per fake (no I/O) stream"
    )
    parser.add_argument(
        "--levels", type=_levels, default=(100, 1000), help="concurrent stream counts (peers)"
    )
    parser.add_argument(
        "--peer-rounds", type=_positive, default=3, help="rounds of each peer's CPU streams"
    )
    parser.add_argument(
        "--oneshot-runs", type=_positive, default=7, help="one-shot command runs (each side)"
    )
    parser.add_argument(
        "--ui-pairs", type=_positive, default=20, help="browser/CLI first-token pairs"
    )
    parser.add_argument("--ui-loads", type=_positive, default=10, help="page loads")
    return parser.parse_args(argv)


def _load() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    started = time.monotonic()
    info = machine.describe()
    info["Load average at start"] = _load()
    results = Results(command=shlex.join(["python", "benchmarks/run.py", *argv]), machine=info)
    steps = {
        "startup": lambda: startup.run(args.runs, log=_log),
        "overhead": lambda: overhead.run(args.chunks, log=_log),
        "mock": lambda: streaming.run_mock(
            args.mock_pairs, args.mock_chunks, args.first_pairs, log=_log
        ),
        "anthropic": lambda: streaming.run_mock_anthropic(
            args.mock_pairs, args.mock_chunks, args.first_pairs, log=_log
        ),
        "llama": lambda: streaming.run_llama(
            args.pairs, args.max_tokens, args.first_pairs, log=_log
        ),
        "engine": lambda: engine.run(args.engine_runs, log=_log),
        "ui": lambda: webui.run(args.ui_pairs, args.ui_loads, log=_log),
        "peers": lambda: peers.run(
            args.peer_rounds, levels=args.levels, oneshot_runs=args.oneshot_runs, log=_log
        ),
    }
    failed = False
    for name in BENCHMARKS:
        if name not in args.only:
            continue
        _log(f"-- {name}")
        try:
            setattr(results, name, steps[name]())
        except Exception as exc:  # report it, carry on with the others
            failed = True
            traceback.print_exc()
            results.notes.append(f"`{name}` failed: {type(exc).__name__}: {exc}")
    info["Load average at end"] = _load()
    results.seconds = time.monotonic() - started
    text = document(results)
    print(text)
    if args.write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        _log(f"wrote {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
