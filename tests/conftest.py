"""Fixtures every test shares: an isolated environment, and the real test peers on 127.0.0.1.

- ``liminal_home`` (autouse): every test runs with its own empty LIMINAL_HOME, no provider keys,
  endpoints or plugin switches from the machine, and freshly loaded plugins.
- ``plugin_site``: the fixture plugin distributions (tests/fixtures) discoverable through their
  entry points, without installing them (``support.dists``).

The peers (docs/development/test-peers.md):
- ``llama_server``: the local engine (llama.cpp's server) with SmolLM2-135M, keys ``K1`` and ``K2``,
  started once per session.
- ``mock_server`` / ``faults``: llmock behind our fault front; ``faults`` resets it for each test.

The peer fixtures touch no environment variable. llmock's own pytest plugin is loaded too, but
only its ``llmock`` fixture sets ``OPENAI_BASE_URL`` and friends, and nothing here uses it.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

_TESTS = Path(__file__).resolve().parent
_LOCAL_SRC = _TESTS.parent / "plugins" / "local" / "src"

# Import-mode independent: the helpers beside this file, and the local plugin from its source
# tree when it is not installed.
if str(_TESTS) not in sys.path:
    sys.path.insert(0, str(_TESTS))
if importlib.util.find_spec("liminal_local") is None:
    sys.path.insert(0, str(_LOCAL_SRC))

from liminal.plugins import reset_plugins  # noqa: E402
from support.dists import ALL, PluginSite  # noqa: E402

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer
    from support.faults import Faults
    from support.faultserver import FaultServer


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
    """This test's LIMINAL_HOME (not created yet), with the machine's provider env removed."""
    home = tmp_path / "liminal-home"
    monkeypatch.setenv("LIMINAL_HOME", str(home))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    reset_plugins()
    yield home
    reset_plugins()


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PluginSite:
    """liminal-testplugin and liminal-brokenplugin "installed" for this test (and its children)."""
    site = PluginSite(tmp_path / "site-packages")
    for dist in ALL:
        site.install(dist)
    site.activate(monkeypatch)
    reset_plugins()
    return site


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """The local engine (llama.cpp's server; 2 slots, 4096 tokens of context, 2 threads).

    Started once. If it cannot start, pytest keeps the error of this one attempt and every
    test that needs the engine fails at once with it, instead of each waiting on its own.
    """
    from liminal_local.server import LlamaServer

    server = LlamaServer(
        api_keys=("K1", "K2"), ctx_size=4096, parallel=2, threads=2, startup_timeout=120
    )
    with server:
        yield server


@pytest.fixture(scope="session")
def mock_server() -> Iterator[FaultServer]:
    """llmock behind the fault front, for the whole session."""
    from support.faultserver import FaultServer

    with FaultServer() as server:
        yield server


@pytest.fixture
def faults(mock_server: FaultServer) -> Iterator[Faults]:
    """A clean mock server for this test: no scripted fault, no recorded request."""
    from support.faults import Faults

    handle = Faults(mock_server).reset()
    yield handle
    mock_server.reset()  # also cuts connections the test left open, e.g. a stalled stream
