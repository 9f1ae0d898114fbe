"""Fixtures for the OpenAI plugin's unit tests (fakes live in ``openai_fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openai_fakes import MockApi


@pytest.fixture
async def api() -> AsyncIterator[MockApi]:
    fake = MockApi()
    try:
        yield fake
    finally:
        await fake.aclose()


@pytest.fixture
def liminal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty Liminal home, no provider env, and fresh process-wide plugins: only this one
    (other test sessions may install fixture plugins into the shared venv meanwhile)."""
    from liminal.plugins import reset_plugins

    monkeypatch.setenv("LIMINAL_HOME", str(tmp_path))
    monkeypatch.setenv("LIMINAL_PLUGINS", "liminal-openai")
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LIMINAL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    reset_plugins()
    try:
        yield tmp_path
    finally:
        reset_plugins()
