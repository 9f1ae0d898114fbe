"""Sections of the Markdown report that stand on their own: peers and concurrency, the local
engine and the web UI, and the helpers every section uses."""

from __future__ import annotations

import statistics
from typing import Any

__all__ = [
    "UI_TTFT_ADDED_MS",
    "engine_section",
    "ok",
    "peer_rows",
    "peers_section",
    "table",
    "ui_section",
]

#: What `liminal ui` may add to the time to first token, over the CLI's own turn.
UI_TTFT_ADDED_MS = 50.0


def ok(met: bool) -> str:
    return "✅ met" if met else "❌ missed"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def engine_section(results: list[Any]) -> str:
    rows = [
        [
            e.label,
            str(len(e.runs)),
            f"{e.median('ready_s'):.2f}",
            f"**{e.median('first_token_s'):.2f}**",
            f"**{e.median('tokens_per_s'):.0f}**",
            f"{e.median('prompt_tokens_per_s'):.0f}",
        ]
        for e in results
    ]
    header = [
        "engine",
        "runs",
        "ready (s)",
        "start to first token (s)",
        "generation (tokens/s)",
        "prompt (tokens/s)",
    ]
    return "\n\n".join(
        [
            "## 4. The local engine",
            "SmolLM2-135M-Instruct (Q4_1) served by `LlamaServer` (2 threads, one slot, 2048 "
            "tokens of context), started afresh for every run; medians over the runs. *Ready*: "
            "from starting the engine process until the model is loaded and `/health` answers; "
            "*first token*: until the first streamed token of a one-message chat request. "
            "Generation and prompt speeds are llama.cpp's own timings (`timings` in its answer) "
            "for 128 greedy tokens with `ignore_eos`. A `llama-server` of your own is measured "
            "too, the way `LIMINAL_LLAMA_SERVER` runs it, when `LIMINAL_BENCH_LLAMA_SERVER` "
            "names it, so the cost of the portable build can be read off one run.",
            table(header, rows),
        ]
    )


def ui_section(u) -> str:
    def row(label: str, values: list[float]) -> list[str]:
        q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
        return [
            label,
            str(len(values)),
            f"{statistics.median(values):.1f}",
            f"{q[0]:.1f}–{q[2]:.1f}",
        ]

    low, high = u.interval()
    return "\n\n".join(
        [
            "## 5. The web UI",
            "`liminal ui` in its own process; headless Chromium (Debian's `/usr/bin/chromium`, "
            "driven by Playwright) on 127.0.0.1. *Page usable*: from navigation start until "
            "the page has its models and conversations and marks itself ready "
            "(`performance.mark`), after 3 warm-up loads. *First token in the browser*: from "
            "the Enter key's handler to the first text in the DOM, a new chat each time. *The "
            "CLI's turn*: `Conversation.stream` in the benchmark's process with the CLI's "
            "file store, from the call to the first `TextDelta` (what `liminal prompt` and "
            "`liminal chat` run, without starting a process and an engine). Same model "
            "(smollm2), prompt, temperature 0, seed 1, `max_tokens` 16; each side has its own "
            "warm engine; alternating pairs after 3 warm-up turns each.",
            table(
                ["measure", "runs", "median (ms)", "IQR (ms)"],
                [
                    row("page usable", u.loads),
                    row("DOMContentLoaded", u.dom_loaded),
                    row("first token in the browser", u.browser_ttft),
                    row("… of which Send to the `start` event", u.browser_start),
                    row("first token, the CLI's turn", u.cli_ttft),
                ],
            ),
            f"Added by the UI (median of the pairs' differences): **{u.added_ms:+.1f} ms** "
            f"(95 % bootstrap {low:+.1f} … {high:+.1f} ms; budget ≤ {UI_TTFT_ADDED_MS:g} ms).",
        ]
    )


def peers_section(q) -> str:
    from peers import LABELS, LLM_MODELS, PROVIDERS

    parts = [
        "## 3. Peers and concurrency",
        "`benchmarks/peers.py`: the provider's raw SDK, Liminal, LiteLLM "
        '(`litellm.acompletion(model="openai/gpt-4o-mini"` or `"anthropic/claude-haiku-4-5", '
        "api_base=…, stream=True)`) and `llm` (`llm.get_async_model(…)`, with `llm-anthropic` "
        "for Anthropic, the SDK under it pointed at the mock by `OPENAI_BASE_URL` or "
        "`ANTHROPIC_BASE_URL`), each in its own process and venv, against the same "
        f"`sse_server.py`. CPU: {q.rounds} rounds, the order of the peers rotating, of "
        f"{q.streams} streams of {q.tokens} chunks each after 3 warm-up streams; client CPU "
        "(the thread's) per chunk and before the first chunk, medians over all streams. "
        f"Concurrency: {', '.join(map(str, q.levels))} streams of {q.load_tokens} chunks at once "
        "in one process, each waiting after its first chunk until all have one; RSS per "
        "stream is the peak (`VmHWM`, reset after a warm-up stream) less the RSS before, "
        "over N. The most concurrent level (the budget's) runs the raw SDK and Liminal only: "
        "LiteLLM and `llm` would take a minute each there. Liminal's streams are checked "
        "to end with one `Usage` and one `Finish` each.",
    ]
    for provider in PROVIDERS:
        peers = [peer for (prov, peer) in q.samples if prov == provider]
        if not peers:
            continue
        header = [
            "client",
            "version",
            "CPU per chunk (µs)",
            "vs raw SDK",
            "CPU before the first token (ms)",
            "vs raw SDK",
        ]
        header += [f"{n} streams: complete, KiB/stream" for n in q.levels]
        rows = []
        for peer in peers:
            row = [
                LABELS[peer],
                q.versions.get(f"{provider}/{peer}", "?"),
                f"{q.median(provider, peer, 1):.1f}",
                f"{q.ratio(provider, peer, 1):.2f}×",
                f"{q.median(provider, peer, 0):.3f}",
                f"{q.ratio(provider, peer, 0):.2f}×",
            ]
            for n in q.levels:
                load = q.loads.get((provider, peer, n))
                if load is None:
                    row.append("—")
                elif isinstance(load, str):
                    row.append(f"failed: {load}")
                else:
                    row.append(f"{load.completed}/{n}, {load.kib_per_stream:.1f}")
            rows.append(row)
        parts += [f"### {provider}", table(header, rows)]

    def median(provider: str, command: str) -> float:
        return statistics.median(q.oneshot[provider, command])

    oneshot = [
        [
            provider,
            f"`liminal prompt -o max_tokens 50 -m {PROVIDERS[provider][1]} hi`",
            f"{median(provider, 'liminal'):.0f}",
            f"{median(provider, 'sdk'):.0f}",
            f"{median(provider, 'liminal') - median(provider, 'sdk'):+.0f}",
            f"`llm -o max_tokens 50 -m {LLM_MODELS[provider]} hi`",
            f"{median(provider, 'llm'):.0f}",
        ]
        for provider in PROVIDERS
        if (provider, "liminal") in q.oneshot
    ]
    if oneshot:
        header = [
            "provider",
            "Liminal",
            "median (ms)",
            "`import` of the SDK alone (ms)",
            "Liminal beyond it (ms)",
            "llm",
            "median (ms)",
        ]
        parts += [
            "The one-shot command against the same mock (a 50-chunk answer): wall time of "
            f"the whole process, median of {q.oneshot_runs} interleaved runs after one warm-up "
            "each, output to `/dev/null`, a fresh `LIMINAL_HOME` and `LLM_USER_PATH` (`llm` "
            "logs each prompt to its SQLite database, as it does by default). Between them, "
            "`python -c \"import openai\"` (or `anthropic`) in Liminal's venv: the SDK's import "
            "alone, which any client of the SDK pays on its first request. “Liminal beyond "
            "it” is everything else the command does: Liminal's own imports, the SDK's "
            "submodules a request loads, the key pool, the conversation store, the request "
            "and its 50 chunks, and the exit.",
            table(header, oneshot),
        ]
    return "\n\n".join(parts)


def peer_rows(q) -> list[list[str]]:
    """Budget rows: ahead of LiteLLM and ``llm``; at the most concurrent level, Liminal's RSS
    per stream vs the raw SDK's."""
    from peers import LABELS, PROVIDERS

    rows = []
    for provider in PROVIDERS:
        others = [p for p in ("litellm", "llm") if (provider, p) in q.samples]
        if (provider, "liminal") not in q.samples or not others:
            continue
        for index, what in ((1, "CPU per chunk"), (0, "CPU before the first token")):
            mine = q.median(provider, "liminal", index)
            best = min(others, key=lambda p: q.median(provider, p, index))
            theirs = q.median(provider, best, index)
            unit = "µs" if index else "ms"
            rows.append(
                [
                    f"client {what} vs LiteLLM and `llm` ({provider}, mock)",
                    "below both",
                    f"{mine:.{1 if index else 3}f} {unit} vs {theirs:.{1 if index else 3}f} {unit} "
                    f"({LABELS[best]}, the lower)",
                    ok(mine < theirs),
                ]
            )
    top = max(q.levels)
    for provider in PROVIDERS:
        mine, raw = q.load(provider, "liminal", top), q.load(provider, "raw", top)
        if mine is None or raw is None:
            continue
        ratio = q.rss_vs_raw(provider, top)
        rows.append(
            [
                f"{top} concurrent streams in one process, RSS per stream vs raw SDK ({provider})",
                "all complete, ≤ 1×",
                f"{mine.completed}/{top}; {mine.kib_per_stream:.1f} vs {raw.kib_per_stream:.1f} "
                f"KiB/stream ({ratio:.2f}×)"
                if ratio is not None
                else "raw SDK used no memory",
                ok(mine.completed == top and ratio is not None and ratio <= 1),
            ]
        )
    return rows
