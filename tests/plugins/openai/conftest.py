"""Fixtures for the OpenAI plugin's unit tests (fakes live in ``openai_fakes``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai_fakes import MockApi


@pytest.fixture
async def api() -> AsyncIterator[MockApi]:
    fake = MockApi()
    try:
        yield fake
    finally:
        await fake.aclose()
