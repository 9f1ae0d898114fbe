"""The fake provider APIs of the plugins' unit tests (support/openai_fakes.py, anthropic_fakes.py).

``api`` is the fake of the provider whose folder the test is in (plugins/openai/,
plugins/anthropic/); a test beside this file that runs for every provider parametrises
``provider`` with the ids of ``support.fakes.FAKES``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from support.fakeapi import FakeApi
from support.fakes import FAKES


@pytest.fixture
def provider(request: pytest.FixtureRequest) -> str:
    """The provider of the test's folder."""
    return request.path.parent.name


@pytest.fixture
async def api(provider: str) -> AsyncIterator[FakeApi]:
    fake = FAKES[provider]()
    try:
        yield fake
    finally:
        await fake.aclose()
