"""Fixtures for the Anthropic plugin's unit tests (fakes live in ``anthropic_fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from anthropic_fakes import MockApi


@pytest.fixture
async def api() -> AsyncIterator[MockApi]:
    fake = MockApi()
    try:
        yield fake
    finally:
        await fake.aclose()
