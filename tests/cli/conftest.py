"""CLI tests: the real console script, and the fixture plugin distributions installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from support.clirunner import Liminal

# tests/fixtures/dists.py is imported as ``fixtures.dists`` whatever the import mode.
_TESTS = Path(__file__).resolve().parents[1]
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))


def liminal_executable() -> str:
    """The ``liminal`` console script of the venv running the tests."""
    beside = Path(sys.executable).parent / "liminal"
    if beside.is_file():
        return str(beside)
    found = shutil.which("liminal")
    if found is None:
        pytest.fail("the `liminal` console script is not installed in this environment")
    return found


@pytest.fixture(scope="module")
def plugin_dists() -> Iterator[None]:
    """liminal-testplugin (tests/fixtures) installed in this venv for one module."""
    from fixtures.dists import TESTPLUGIN, installed

    with installed(TESTPLUGIN):
        yield


#: The real provider plugins only: fixture plugins other tests install must not add noise.
REAL_PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


@pytest.fixture
def cli(liminal_home: Path) -> Liminal:
    """The real console script with a clean environment and only the real provider plugins."""
    from support.clirunner import Liminal

    runner = Liminal(liminal_home)
    runner.env["LIMINAL_PLUGINS"] = REAL_PLUGINS
    return runner


@pytest.fixture
def run_liminal(liminal_home: Path, plugin_dists: None):
    """Run the real console script with only the test plugin loaded."""

    def run(*args: str, plugins: str | None = "liminal-testplugin", **env: str):
        environ = dict(os.environ)  # the autouse liminal_home fixture removed the machine's
        environ["LIMINAL_HOME"] = str(liminal_home)
        if plugins is not None:
            environ["LIMINAL_PLUGINS"] = plugins
        environ.update(env)
        return subprocess.run(
            [liminal_executable(), *args],
            capture_output=True,
            text=True,
            env=environ,
            timeout=60,
            check=False,
        )

    return run
