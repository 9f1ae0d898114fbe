"""Headless Chromium from Debian's packages, driven by Playwright (never `playwright install`).

The browser tests skip, saying why, only when there is no chromium and we are not in CI; in
CI (CI=true) a missing browser is a failure: .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Without these Chromium keeps calling home on a machine with no network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds any one browser action or expectation may wait, unless it says otherwise.
ACTION_TIMEOUT = 20_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(f"{reason}; `apt-get install chromium chromium-driver` to run them")


@contextmanager
def playwright_or_skip() -> Iterator[Playwright]:
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium binary ({CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        yield playwright


@contextmanager
def fresh_context(playwright: Playwright) -> Iterator[BrowserContext]:
    """A browser with a user-data-dir of its own: no cookie or cache from another test."""
    with tempfile.TemporaryDirectory(prefix="liminal-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 800},
            timeout=60_000,
        )
        context.set_default_timeout(ACTION_TIMEOUT)
        try:
            yield context
        finally:
            context.close()
