"""Every core test runs with its own LIMINAL_HOME and no provider keys or plugin switches."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liminal.plugins import reset_plugins

# tests/fixtures/dists.py is imported as ``fixtures.dists`` whatever the import mode.
_TESTS = Path(__file__).resolve().parents[1]
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))

#: Environment that would make a test depend on the machine it runs on.
ISOLATED_VARS = (
    "LIMINAL_PLUGINS",
    "LIMINAL_DISABLE_PLUGINS",
    "LIMINAL_DEBUG",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "TESTPROV_API_KEY",
    "FAKE_API_KEY",
)


@pytest.fixture(autouse=True)
def liminal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "liminal-home"
    monkeypatch.setenv("LIMINAL_HOME", str(home))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    reset_plugins()
    yield home
    reset_plugins()


@pytest.fixture(scope="module")
def plugin_dists() -> Iterator[None]:
    """liminal-testplugin and liminal-brokenplugin installed in this venv for one module."""
    from fixtures.dists import ALL, installed

    with installed(*ALL):
        yield
