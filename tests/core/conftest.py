"""The fixture plugin distributions for the discovery tests (isolation is in tests/conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/fixtures/dists.py is imported as ``fixtures.dists`` whatever the import mode.
_TESTS = Path(__file__).resolve().parents[1]
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))


@pytest.fixture(scope="module")
def plugin_dists() -> Iterator[None]:
    """liminal-testplugin and liminal-brokenplugin installed in this venv for one module."""
    from fixtures.dists import ALL, installed

    with installed(*ALL):
        yield
