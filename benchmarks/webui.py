"""The web UI: page load, and time to first token in the browser against the CLI's turn.

`liminal ui` runs in its own process (as a person runs it); headless Chromium from Debian's
packages (/usr/bin/chromium, driven by Playwright, nothing downloaded) loads the page and
sends prompts. The page marks the moment Send was pressed and the moment the first text was
in the DOM (``performance.mark``), so the browser's figure includes everything a person
waits for: the request, the Starlette route, ``Conversation.stream``, the SSE framing, the
JS that parses and renders it.

The CLI's side is the same turn without the browser: ``Conversation.stream`` in this process
(what ``liminal prompt`` and ``liminal chat`` run), from the call to the first ``TextDelta``.
Both sides use the same model (smollm2), prompt, parameters and a new conversation each
time, each with its own warm engine; they alternate in pairs after warm-up turns, and the
figure is the median of the pairs' differences with a 95 % bootstrap interval.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from env import liminal_env

__all__ = ["UiResult", "run"]

PROMPT = "Name three colours."
PARAMETERS = {"temperature": 0, "seed": 1, "max_tokens": 16}
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WARMUP = 3
BOOTSTRAP = 2000


@dataclass
class UiResult:
    loads: list[float] = field(default_factory=list)  # navigation start to usable page (ms)
    dom_loaded: list[float] = field(default_factory=list)  # DOMContentLoaded (ms)
    browser_ttft: list[float] = field(default_factory=list)  # Send to first text shown (ms)
    browser_start: list[float] = field(default_factory=list)  # Send to the `start` event (ms)
    cli_ttft: list[float] = field(default_factory=list)  # stream() to first TextDelta (ms)

    @property
    def added_ms(self) -> float:
        return statistics.median(
            b - c for b, c in zip(self.browser_ttft, self.cli_ttft, strict=True)
        )

    def interval(self) -> tuple[float, float]:
        rng = random.Random(42)
        diffs = [b - c for b, c in zip(self.browser_ttft, self.cli_ttft, strict=True)]
        values = sorted(
            statistics.median(rng.choice(diffs) for _ in diffs) for _ in range(BOOTSTRAP)
        )
        return values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]


def _start_ui() -> tuple[subprocess.Popen[str], str]:
    liminal = str(Path(sys.executable).with_name("liminal"))
    options = [a for k, v in PARAMETERS.items() for a in ("-o", k, str(v))]
    process = subprocess.Popen(
        [liminal, "ui", "--no-browser", *options],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # `liminal ui` prints its URL first, once listening
    match = re.match(r"Liminal UI: (http://\S+)", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"`liminal ui` did not print its URL: {line!r}")
    return process, match.group(1)


class CliTurns:
    """The CLI's turn in this process, on a factory kept warm (its engine stays up). Its
    event loop runs on a thread of its own: Playwright's sync API holds the main thread's."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from liminal.factory import LlmServiceFactory
        from liminal.store import ConversationStore

        self.thread = ThreadPoolExecutor(max_workers=1)
        self.loop = asyncio.new_event_loop()
        self.factory = LlmServiceFactory()
        # The CLI's store, a file: its writes before the first token count on both sides.
        self.store = ConversationStore()

    def _run(self, coroutine):
        return self.thread.submit(self.loop.run_until_complete, coroutine).result(timeout=300)

    def first_token_ms(self) -> float:
        return self._run(self._turn())

    async def _turn(self) -> float:
        from liminal.conversation import Conversation
        from liminal.types import TextDelta

        conversation = Conversation(
            self.factory, self.factory.model("smollm2"), store=self.store, parameters=PARAMETERS
        )
        started = time.perf_counter()
        first = None
        async for event in conversation.stream(PROMPT):
            if first is None and isinstance(event, TextDelta):
                first = (time.perf_counter() - started) * 1000
        assert first is not None
        return first

    def close(self) -> None:
        self._run(self.factory.aclose())
        self._run(self.loop.shutdown_asyncgens())
        self.thread.submit(self.loop.close).result(timeout=30)
        self.store.close()
        self.thread.shutdown()


def _browser_turn(page) -> tuple[float, float]:
    page.get_by_role("button", name="New chat").click()
    page.get_by_role("textbox", name="Message").fill(PROMPT)
    page.get_by_role("textbox", name="Message").press("Enter")
    page.wait_for_selector("article.assistant:not([data-status=streaming])", timeout=120_000)
    first, start = page.evaluate(
        """() => {
          const at = (name) => performance.getEntriesByName(name)[0].startTime;
          return [at("liminal-first-token") - at("liminal-send"),
                  at("liminal-start") - at("liminal-send")];
        }"""
    )
    return first, start


def _page_load(context, url: str) -> tuple[float, float]:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=30_000)
    ready = page.evaluate('performance.getEntriesByName("liminal-ready")[0].startTime')
    dom = page.evaluate('performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd')
    page.close()
    return ready, dom


def run(pairs: int = 15, loads: int = 10, log=print) -> UiResult:
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"no {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    result = UiResult()
    with liminal_env(), tempfile.TemporaryDirectory(prefix="liminal-bench-chromium-") as profile:
        process, url = _start_ui()
        cli = CliTurns()
        try:
            with sync_playwright() as playwright:
                context = playwright.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, headless=True, args=FLAGS
                )
                page = context.new_page()
                page.goto(url)  # the token becomes a cookie; later loads need no token
                page.wait_for_selector("body[data-ready]", timeout=30_000)
                base = url.split("?")[0]
                for _ in range(WARMUP):
                    _page_load(context, base)
                for _ in range(loads):
                    ready, dom = _page_load(context, base)
                    result.loads.append(ready)
                    result.dom_loaded.append(dom)
                log(f"ui: page usable after {statistics.median(result.loads):.1f} ms (median)")
                for _ in range(WARMUP):  # both engines load the model and see the prompt
                    _browser_turn(page)
                    cli.first_token_ms()
                for i in range(pairs):  # the order alternates: drifting load cancels out
                    if i % 2:
                        result.cli_ttft.append(cli.first_token_ms())
                    first, start = _browser_turn(page)
                    result.browser_ttft.append(first)
                    result.browser_start.append(start)
                    if not i % 2:
                        result.cli_ttft.append(cli.first_token_ms())
                context.close()
        finally:
            cli.close()
            process.terminate()
            process.wait(timeout=30)
    log(
        f"ui: first token browser {statistics.median(result.browser_ttft):.1f} / "
        f"CLI turn {statistics.median(result.cli_ttft):.1f} ms ({result.added_ms:+.1f} ms)"
    )
    return result
