"""The Markdown report: the budget summary (printed) and docs/performance.md (with --write)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from env import PLUGINS
from sections import (
    UI_TTFT_ADDED_MS,
    engine_section,
    ok,
    peer_rows,
    peers_section,
    table,
    ui_section,
)

__all__ = ["Results", "document", "summary"]

STARTUP_RATIO = 1.5
THROUGHPUT_DROP_PCT = 3.0
TTFT_ADDED_MS = 1.0
#: Client CPU per chunk through Liminal, at most this fraction of the raw SDK's (the mock).
CPU_PER_CHUNK_RATIO = 0.3
#: Client CPU before the first token through Liminal, at most this times the raw SDK's.
FIRST_CPU_RATIO = 1.0


@dataclass
class Results:
    command: str
    machine: dict[str, str]
    seconds: float = 0.0
    startup: Any = None
    overhead: Any = None
    llama: Any = None
    mock: Any = None
    anthropic: Any = None
    peers: Any = None
    engine: Any = None
    ui: Any = None
    notes: list[str] = field(default_factory=list)


def _noisy(point: float, interval: tuple[float, float], bound: float, within, excess) -> str:
    """A verdict on an end-to-end point estimate with its 95 % interval; when the interval
    straddles the limit, the noise-free client-CPU ``bound`` decides."""
    if within(interval[0]) and within(interval[1]):
        return "✅ met"
    if not within(interval[0]) and not within(interval[1]):
        return f"❌ missed by {excess(point)}"
    if within(bound):
        return "✅ met by the client-CPU bound (end-to-end: within the noise)"
    return f"❌ missed by {excess(bound)} by the client-CPU bound (end-to-end: within the noise)"


def _cpu_verdict(m) -> str:
    """Met or missed; missed with Liminal's transport alone over the budget is out of reach."""
    if m.cpu_per_chunk_ratio <= CPU_PER_CHUNK_RATIO:
        return ok(True)
    if m.lean_floor_ratio > CPU_PER_CHUNK_RATIO * 0.8:
        return (
            f"❌ missed; out of reach on this transport (it alone is "
            f"{m.lean_floor_ratio / CPU_PER_CHUNK_RATIO:.0%} of the budget)"
        )
    return ok(False)


def _floors(m) -> str:
    """The two transports alone, for the budget rows."""
    return (
        f"the HTTP transport alone: {m.lean_floor_ratio:.2f}× Liminal's "
        f"({statistics.median(m.lean_floor_us):.1f} µs), {m.floor_ratio:.2f}× the SDK's "
        f"({statistics.median(m.floor_us):.1f} µs)"
    )


def _floor_text(m) -> str:
    """The paragraph under a mock table: what the transports alone cost."""
    return (
        "The transports alone (the same request through httpx2, the body read as Liminal "
        "reads it and dropped: no SSE framing, no JSON, no events; once each after each long "
        "pair): httpx2's default transport, which the raw SDK uses, spends "
        f"{statistics.median(m.floor_us):.1f} µs of client CPU per text chunk "
        f"({m.floor_ratio:.2f}× the raw SDK's whole cost); Liminal's own HTTP/1.1 transport "
        f"(`Http1Transport`), {statistics.median(m.lean_floor_us):.1f} µs "
        f"({m.lean_floor_ratio:.2f}×). A transport alone reads as fast as the server sends, "
        "waking once or twice per event; a client that does more per event finds more events "
        "waiting at each wake-up, so the whole stack can cost less per chunk than its "
        "transport alone."
    )


def _client_cost(r: Results):
    """Where Liminal's extra client CPU is measured best: against the mock (a thousand
    chunks per stream, nothing else to wait for), else against llama-server itself."""
    return r.mock if r.mock is not None else r.llama.paired


def _budget_rows(r: Results) -> list[list[str]]:
    rows = []
    s = r.startup
    if s is not None:
        over = (s.ratio / STARTUP_RATIO - 1) * 100
        verdict = ok(s.ratio <= STARTUP_RATIO)
        if s.ratio > STARTUP_RATIO:
            verdict += f" by {s.ratio - STARTUP_RATIO:.2f}× ({over:.0f} % over)"
        rows.append(
            [
                '`liminal models list` vs `python -c "import click, pluggy"`',
                f"≤ {STARTUP_RATIO}×",
                f"{s.ratio:.2f}× ({s.liminal_median:.1f} vs {s.baseline_median:.1f} ms)",
                verdict,
            ]
        )
        rows.append(
            [
                "`liminal models list` imports no provider SDK",
                "none of openai, anthropic, httpx2",
                ", ".join(s.forbidden_imported) or "none",
                ok(not s.forbidden_imported),
            ]
        )
    if r.llama is not None:
        p = r.llama.paired
        cost = _client_cost(r)
        implied = p.implied_throughput_change_pct(cost.cpu_us_per_chunk_added)
        low, high = p.interval("throughput")
        rows.append(
            [
                "chunk throughput through Liminal vs raw SDK (llama-server)",
                f"≥ −{THROUGHPUT_DROP_PCT:g} %",
                f"{p.throughput_change_pct:+.2f} % (95 %: {low:+.1f} … {high:+.1f} %); "
                f"from client CPU: {implied:+.3f} %",
                _noisy(
                    p.throughput_change_pct,
                    (low, high),
                    implied,
                    lambda v: v >= -THROUGHPUT_DROP_PCT,
                    lambda v: f"{-THROUGHPUT_DROP_PCT - v:.2f} points",
                ),
            ]
        )
        low, high = p.interval("ttft")
        rows.append(
            [
                "added time to first token (llama-server)",
                f"≤ {TTFT_ADDED_MS:g} ms",
                f"{p.ttft_added_ms:+.2f} ms (95 %: {low:+.2f} … {high:+.2f} ms); "
                f"client CPU before it: {cost.ttft_cpu_added_ms:+.3f} ms",
                _noisy(
                    p.ttft_added_ms,
                    (low, high),
                    cost.ttft_cpu_added_ms,
                    lambda v: v <= TTFT_ADDED_MS,
                    lambda v: f"{v - TTFT_ADDED_MS:.2f} ms",
                ),
            ]
        )
    for name, m in (("OpenAI", r.mock), ("Anthropic", r.anthropic)):
        if m is None:
            continue
        rows.append(
            [
                f"client CPU per chunk vs raw SDK (mock, {name})",
                f"≤ {CPU_PER_CHUNK_RATIO:g}×",
                f"{m.cpu_per_chunk_ratio:.2f}× ({m.median('liminal', 'cpu_us_per_chunk'):.1f} "
                f"vs {m.median('raw', 'cpu_us_per_chunk'):.1f} µs); {_floors(m)}",
                _cpu_verdict(m),
            ]
        )
        rows.append(
            [
                f"client CPU before the first token vs raw SDK (mock, {name})",
                f"≤ {FIRST_CPU_RATIO:g}×",
                f"{m.first_cpu_ratio:.2f}× ({m.median('liminal', 'ttft_cpu_ms'):.3f} "
                f"vs {m.median('raw', 'ttft_cpu_ms'):.3f} ms)",
                ok(m.first_cpu_ratio <= FIRST_CPU_RATIO),
            ]
        )
    if r.peers is not None:
        rows += peer_rows(r.peers)
    u = r.ui
    if u is not None:
        low, high = u.interval()
        rows.append(
            [
                "time to first token added by `liminal ui` (browser vs the CLI's turn)",
                f"≤ {UI_TTFT_ADDED_MS:g} ms",
                f"{u.added_ms:+.1f} ms (95 %: {low:+.1f} … {high:+.1f} ms)",
                ok(high <= UI_TTFT_ADDED_MS)
                if high <= UI_TTFT_ADDED_MS or low > UI_TTFT_ADDED_MS
                else ok(u.added_ms <= UI_TTFT_ADDED_MS) + " (the interval straddles it)",
            ]
        )
    return rows


def summary(r: Results) -> str:
    return table(["budget", "limit", "measured", "verdict"], _budget_rows(r))


def _startup(s) -> str:
    rows = [
        [
            "`liminal models list`",
            f"{s.liminal_median:.1f}",
            f"{min(s.liminal_ms):.1f}",
            f"{max(s.liminal_ms):.1f}",
        ],
        [
            '`python -c "import click, pluggy"`',
            f"{s.baseline_median:.1f}",
            f"{min(s.baseline_ms):.1f}",
            f"{max(s.baseline_ms):.1f}",
        ],
    ]
    heavy = table(
        ["top-level package", "import time beyond the baseline's (ms)"],
        [[f"`{name}`", f"{own / 1000:.1f}"] for own, name in s.heaviest],
    )
    return "\n\n".join(
        [
            "## 1. Start-up",
            f"Wall time of a fresh process, median of {s.runs} interleaved runs after 2 warm-up "
            "runs each, the console script next to `sys.executable`, output to `/dev/null`.",
            table(["command", "median (ms)", "min (ms)", "max (ms)"], rows),
            f"Ratio of the medians: **{s.ratio:.2f}×** (budget ≤ {STARTUP_RATIO}×).",
            f"`-X importtime`: {s.modules_imported} modules imported; provider SDKs among them: "
            f"**{', '.join(s.forbidden_imported) or 'none'}** (checked: "
            "`openai`, `anthropic`, `httpx2` and their submodules).",
            "Where the import time goes: each top-level package's modules' own (self) "
            "times summed, median of 3 `-X importtime` runs of each command, the baseline's "
            f"subtracted. In all, `liminal models list` imports for "
            f"{s.import_total_us / 1000:.1f} ms, {s.import_extra_us / 1000:.1f} ms more than "
            "the baseline (`-X importtime` inflates these: compare them with each other, not "
            "with the wall times).",
            heavy,
            "These runs answer from the registry snapshot (docs/decisions.md: the snapshot "
            "is reused while the installed packages, the plugins' sources and the config "
            "files are unchanged). The first run after an install, an uninstall or a config "
            "change rebuilds it: it scans the entry points, imports every plugin and builds "
            "their catalogues. That cold run, measured with `LIMINAL_NO_CACHE=1`: median "
            f"**{statistics.median(s.cold_ms):.1f} ms** over {len(s.cold_ms)} runs "
            f"({statistics.median(s.cold_ms) / s.baseline_median:.2f}× the baseline); "
            "provider SDKs imported on it: "
            f"**{', '.join(s.cold_forbidden) or 'none'}**.",
        ]
    )


def _paired_rows(p) -> list[list[str]]:
    def row(label: str, attr: str, fmt: str, diff: str) -> list[str]:
        rq, lq = p.quartiles("raw", attr), p.quartiles("liminal", attr)
        return [
            label,
            f"{p.median('raw', attr):{fmt}} ({rq[0]:{fmt}}–{rq[1]:{fmt}})",
            f"{p.median('liminal', attr):{fmt}} ({lq[0]:{fmt}}–{lq[1]:{fmt}})",
            diff,
        ]

    t_low, t_high = p.interval("throughput")
    f_low, f_high = p.interval("ttft")
    return [
        row(
            "chunk throughput, wall (chunks/s)",
            "chunks_per_s",
            ".1f",
            f"{p.throughput_change_pct:+.2f} % ({t_low:+.1f} … {t_high:+.1f})",
        ),
        row(
            "time to first token, wall (ms)",
            "ttft_ms",
            ".2f",
            f"{p.ttft_added_ms:+.3f} ms ({f_low:+.2f} … {f_high:+.2f})",
        ),
        row(
            "client CPU per chunk (µs)",
            "cpu_us_per_chunk",
            ".1f",
            f"{p.cpu_us_per_chunk_added:+.1f} µs",
        ),
        row(
            "client CPU before the first token (ms)",
            "ttft_cpu_ms",
            ".3f",
            f"{p.ttft_cpu_added_ms:+.3f} ms",
        ),
    ]


def _streaming(r: Results) -> str:
    parts = ["## 2. Streaming overhead"]
    header = ["metric", "raw SDK: median (IQR)", "Liminal: median (IQR)", "Liminal − raw (95 %)"]
    if r.llama is not None:
        p = r.llama.paired
        parts += [
            "### Against llama-server (the budget)",
            "`llama-server` (llama.cpp, `-c 4096 -np 2 -t 2`) serving SmolLM2-135M-Instruct on "
            "127.0.0.1, started by the benchmark "
            f"(ready in {r.llama.server_startup_s:.2f} s). The same request "
            "(one user message, temperature 0, seed 42, `stream_options.include_usage`) "
            "through (a) `openai.AsyncOpenAI(base_url=…, max_retries=0)` with `stream=True` "
            'and (b) `LlmServiceFactory().for_model("gpt-4o-mini").stream(…)` with '
            "`OPENAI_BASE_URL`/`OPENAI_API_KEY` pointing at the server; one stream at a "
            "time, in pairs whose order alternates, after 3 warm-up streams of each kind. "
            f"Time to first token (call to the first non-empty text chunk): {p.first_pairs} "
            f"pairs of short streams (`max_tokens` {p.first_max_tokens}). Throughput (text "
            "chunks per second from the first to the last text chunk) and CPU per chunk: "
            f"{p.pairs} pairs of `max_tokens` {p.max_tokens} streams. Differences (last "
            "column) are medians over pairs of Liminal's figure "
            "against its partner's (ratio for throughput, difference for time), so load that "
            "comes and goes on the machine mostly cancels; the interval is a 95 % bootstrap "
            "over pairs. The other columns are each side's own median and interquartile range.",
            table(header, _paired_rows(p)),
            f"Both sides produced {'the same text' if p.same_text else 'DIFFERENT texts'} "
            f"in every stream; text chunks per stream: {', '.join(map(str, p.chunk_counts))}. "
            "Wall-clock figures here move with everything else the machine runs (see the load "
            "average above), so the summary also judges each budget by the client's CPU "
            "time, which other processes barely affect. “From client CPU” is the throughput "
            "change if Liminal's extra client CPU per chunk "
            f"({_client_cost(r).cpu_us_per_chunk_added:+.1f} µs, "
            f"{'measured against the mock below' if r.mock is not None else 'measured here'}) "
            "were added to every chunk interval "
            f"({1e6 / p.median('raw', 'chunks_per_s'):.0f} µs here), as if client and server "
            "competed for one core; “client CPU before it” is Liminal's extra client CPU "
            "before the first token (Liminal adds no round trip, so this is its added "
            "latency). The CPU rows in the table above are blurred too: each llama-server "
            "chunk arrives alone and wakes the event loop, and CPU time on a busy machine "
            "still drifts with cache and scheduler contention.",
        ]
    if r.mock is not None:
        m = r.mock
        parts += [
            "### Against the mock (the client's own cost)",
            "The same comparison against `benchmarks/sse_server.py`, an asyncio server in its "
            f"own process that streams {m.max_tokens} pre-encoded chunks at once: the stream "
            "is client-bound, so the differences are the cost of Liminal's stack (the "
            "`OpenAIService` adapter on Liminal's HTTP transport, plus `ManagedService`) over "
            "the raw SDK's own parsing on httpx2's transport. "
            f"{m.pairs} pairs of long streams, {m.first_pairs} pairs of "
            f"{m.first_max_tokens}-chunk streams for the first token.",
            table(header, _paired_rows(m)),
            _floor_text(m),
            "Where the client is the bottleneck, as here, chunk throughput follows client CPU "
            "per chunk: Liminal's stack would stream "
            f"{abs(m.client_bound_throughput_change_pct):.1f} % "
            f"{'fewer' if m.client_bound_throughput_change_pct < 0 else 'more'} chunks per "
            "second than the raw SDK (the wall-clock row above is the same thing, "
            "blurred by the machine's other load). Against llama-server the client waits for "
            "the server almost all the time, and the same microseconds vanish.",
        ]
    if r.anthropic is not None:
        a = r.anthropic
        parts += [
            "### Against the mock, Anthropic (the client's own cost)",
            "The same mock speaking the Messages API (`message_start`, a text block of "
            f"{a.max_tokens} `content_block_delta` events, `ping`, `message_delta`, "
            "`message_stop`): (a) `anthropic.AsyncAnthropic(base_url=…, max_retries=0)` with "
            "`stream=True`, reading `event.delta.text`, and (b) "
            '`LlmServiceFactory().for_model("claude-haiku-4-5").stream(…)` with '
            "`ANTHROPIC_BASE_URL`/`ANTHROPIC_API_KEY` pointing at the mock. "
            f"{a.pairs} pairs of long streams, {a.first_pairs} pairs of "
            f"{a.first_max_tokens}-chunk streams for the first token.",
            table(header, _paired_rows(a)),
            _floor_text(a),
        ]
    if r.overhead is not None:
        o = r.overhead
        parts += [
            "### The wrapper alone, without I/O",
            "A fake `LlmService` yields pre-built `TextDelta`s (then `Usage`, `Finish`) "
            "without awaiting anything; the same fake is iterated directly and through "
            "`ManagedService.stream` (real `ApiKeyManager`, key from the environment, empty "
            f"`LIMINAL_HOME`). Event-loop thread CPU time; medians of {o.repeats} streams of "
            f"{o.chunks} chunks, and of {o.requests} one-chunk streams for the first event.",
            table(
                ["", "direct", "through ManagedService", "added"],
                [
                    [
                        "per chunk (µs)",
                        f"{o.direct_us_per_chunk:.2f}",
                        f"{o.managed_us_per_chunk:.2f}",
                        f"{o.added_us_per_chunk:+.2f}",
                    ],
                    [
                        "to the first event (µs)",
                        f"{o.direct_first_us:.1f}",
                        f"{o.managed_first_us:.1f}",
                        f"{o.added_first_us:+.1f}",
                    ],
                ],
            ),
        ]
    return "\n\n".join(parts)


def document(r: Results) -> str:
    machine = table(["", ""], [[k, v] for k, v in r.machine.items()])
    parts = [
        "# Performance",
        "Figures from `benchmarks/run.py` (`nox -s bench`), measured against Liminal's "
        "performance budgets. These are benchmarks, never timed tests: they say how this "
        "machine did on this day. Everything runs on 127.0.0.1 and stops by itself. Liminal "
        "runs with an empty temporary `LIMINAL_HOME` and `LIMINAL_PLUGINS=" + PLUGINS + "` "
        "(the plugins `nox -s bench` installs; any other plugin in the venv is left out).",
        f"Produced by `{r.command}` in {r.seconds:.0f} s.",
        "## Machine",
        machine,
        "## Budgets",
        summary(r),
    ]
    if r.notes:
        parts += ["Notes:", "\n".join(f"- {n}" for n in r.notes)]
    if r.startup is not None:
        parts.append(_startup(r.startup))
    if any(x is not None for x in (r.llama, r.mock, r.anthropic, r.overhead)):
        parts.append(_streaming(r))
    if r.peers is not None:
        parts.append(peers_section(r.peers))
    if r.engine is not None:
        parts.append(engine_section(r.engine))
    if r.ui is not None:
        parts.append(ui_section(r.ui))
    parts += [
        "## Reproducing",
        "    nox -s bench                  # print the figures\n"
        "    nox -s bench -- --write       # and rewrite this page\n"
        "    nox -s bench -- --only peers  # the peers alone (venvs from PyPI on first use)\n"
        "    python benchmarks/run.py --help",
    ]
    return "\n\n".join(parts) + "\n"
