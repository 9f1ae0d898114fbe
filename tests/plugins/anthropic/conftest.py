"""Fixtures for the Anthropic plugin's unit tests (fakes live in ``anthropic_fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from anthropic_fakes import MockApi


@pytest.fixture
async def api() -> AsyncIterator[MockApi]:
    fake = MockApi()
    try:
        yield fake
    finally:
        await fake.aclose()


@pytest.fixture(autouse=True)
def liminal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty Liminal home, no provider env, and fresh process-wide plugins."""
    from liminal.plugins import reset_plugins

    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    for var in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "LIMINAL_PLUGINS",
        "LIMINAL_DISABLE_PLUGINS",
    ):
        monkeypatch.delenv(var, raising=False)
    reset_plugins()
    try:
        yield tmp_path
    finally:
        reset_plugins()
