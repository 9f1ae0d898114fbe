"""Sections of the Markdown report that stand on their own: the local engine and
the web UI, and the table helper every section uses."""

from __future__ import annotations

import statistics
from typing import Any

__all__ = ["UI_TTFT_ADDED_MS", "engine_section", "table", "ui_section"]

#: What `liminal ui` may add to the time to first token, over the CLI's own turn.
UI_TTFT_ADDED_MS = 50.0


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
