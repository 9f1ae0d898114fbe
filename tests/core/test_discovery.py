"""Real plugin discovery through entry points, with the fixture distributions' own metadata.

``tests/fixtures/liminal-testplugin`` registers provider ``testprov`` (models ``testprov-echo``
with alias ``echo``, and ``testprov-big``); ``tests/fixtures/liminal-brokenplugin`` raises
ImportError when its entry point is loaded. The fixture ``plugin_site`` lays both out with a
``*.dist-info`` (METADATA, entry_points.txt) in a temporary directory on ``sys.path`` and on the
children's ``PYTHONPATH``: ``importlib.metadata`` finds them as it finds any installed plugin,
and the venv is never changed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from liminal.plugins import Plugins
from support.clirunner import Liminal
from support.dists import TESTPLUGIN, PluginSite

pytestmark = pytest.mark.usefixtures("plugin_site")

TEST_MODELS = {"testprov-echo", "testprov-big"}


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return Liminal(home)(*args, **env)


def models_json(home: Path, *args: str, **env: str) -> tuple[list[dict[str, Any]], str]:
    done = run(home, "models", "list", "--json", *args, **env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done.stderr


def test_installed_plugin_models_are_listed(liminal_home: Path) -> None:
    models, _ = models_json(liminal_home)
    by_id = {m["id"]: m for m in models}
    assert set(by_id) >= TEST_MODELS
    echo = by_id["testprov-echo"]
    assert echo["provider"] == "testprov"
    assert echo["aliases"] == ["echo"]
    assert echo["context_window"] == 4096
    assert by_id["testprov-big"]["capabilities"]["vision"] is True


def test_provider_filter(liminal_home: Path) -> None:
    models, _ = models_json(liminal_home, "--provider", "testprov")
    assert {m["id"] for m in models} == TEST_MODELS


def test_disable_plugins_hides_it(liminal_home: Path) -> None:
    models, _ = models_json(liminal_home, LIMINAL_DISABLE_PLUGINS="liminal-testplugin")
    assert not TEST_MODELS & {m["id"] for m in models}
    assert all(m["provider"] != "testprov" for m in models)


def test_allowlist_loads_only_it(liminal_home: Path) -> None:
    models, stderr = models_json(liminal_home, LIMINAL_PLUGINS="liminal-testplugin")
    assert {m["id"] for m in models} == TEST_MODELS
    assert stderr == ""  # the broken plugin was not even imported


def test_broken_plugin_warns_once_by_name_and_the_cli_still_works(liminal_home: Path) -> None:
    models, stderr = models_json(liminal_home)
    warnings = [line for line in stderr.splitlines() if line.strip()]
    assert len(warnings) == 1, stderr
    assert "brokenplugin" in warnings[0]
    assert "liminal-brokenplugin" in warnings[0]
    assert "ImportError" in warnings[0]
    assert {m["id"] for m in models} >= TEST_MODELS


def test_broken_plugin_is_listed_as_a_failure(liminal_home: Path) -> None:
    done = run(liminal_home, "plugins", "--json")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    failed = [r for r in records if r.get("error")]
    assert [r["name"] for r in failed] == ["brokenplugin"]
    assert failed[0]["distribution"] == "liminal-brokenplugin"
    loaded = {r["name"]: r for r in records if not r.get("error")}
    assert loaded["testplugin"]["distribution"] == "liminal-testplugin"
    assert loaded["testplugin"]["version"] == "0.0.1"
    assert "liminal_register_models" in loaded["testplugin"]["hooks"]


def test_disabling_the_broken_plugin_silences_it(liminal_home: Path) -> None:
    _, stderr = models_json(liminal_home, LIMINAL_DISABLE_PLUGINS="liminal-brokenplugin")
    assert "brokenplugin" not in stderr


def test_discovered_in_process() -> None:
    warned: list[str] = []
    plugins = Plugins(warn=warned.append)
    assert "testprov" in plugins.providers
    assert plugins.models.resolve("echo").id == "testprov-echo"
    record = next(r for r in plugins.records() if r.name == "testplugin")
    assert (record.distribution, record.version, record.builtin) == (
        "liminal-testplugin",
        "0.0.1",
        False,
    )
    assert [f.name for f in plugins.failures] == ["brokenplugin"]
    assert len([w for w in warned if "brokenplugin" in w]) == 1


def test_uninstalling_removes_its_models(liminal_home: Path, plugin_site: PluginSite) -> None:
    plugin_site.uninstall(TESTPLUGIN)
    models, _ = models_json(liminal_home)
    assert not TEST_MODELS & {m["id"] for m in models}
    done = run(liminal_home, "models", "show", "echo")
    assert done.returncode == 2
    assert "MODEL_NOT_FOUND" in done.stderr
    plugin_site.install(TESTPLUGIN)
    models, _ = models_json(liminal_home)
    assert {m["id"] for m in models} >= TEST_MODELS


def test_uninstalled_in_process(plugin_site: PluginSite) -> None:
    plugin_site.uninstall(TESTPLUGIN)
    plugins = Plugins(warn=[].append)
    assert "testprov" not in plugins.providers
    assert all(r.name != "testplugin" for r in plugins.records())
