"""CLI tests: the real console script with only the real plugins, or only the test plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clirunner import Liminal
from support.dists import PluginSite

#: The real provider plugins only: the fixture plugins of tests/fixtures must not add noise.
REAL_PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


@pytest.fixture
def cli(liminal_home: Path) -> Liminal:
    """The real console script with a clean environment and only the real provider plugins."""
    runner = Liminal(liminal_home)
    runner.env["LIMINAL_PLUGINS"] = REAL_PLUGINS
    return runner


@pytest.fixture
def run_liminal(liminal_home: Path, plugin_site: PluginSite) -> Liminal:
    """The real console script with only liminal-testplugin (tests/fixtures) loaded."""
    runner = Liminal(liminal_home)
    runner.env["LIMINAL_PLUGINS"] = "liminal-testplugin"
    return runner
