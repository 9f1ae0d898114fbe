"""Fixtures the integration tests share (the peers themselves live in tests/conftest.py)."""

from __future__ import annotations

import pytest

from support.faultkit import Retries


@pytest.fixture
def retries() -> Retries:
    """The retry notices of the service under test."""
    return Retries()
