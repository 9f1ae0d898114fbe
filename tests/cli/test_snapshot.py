"""`liminal models list` answers from its registry snapshot until something it read changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.clirunner import liminal_script

PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


def run(*args: str, no_cache: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LIMINAL_PLUGINS=PLUGINS)
    if no_cache:
        env["LIMINAL_NO_CACHE"] = "1"
    return subprocess.run(
        [sys.executable, "-X", "importtime", liminal_script(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def loaded_plugins(result: subprocess.CompletedProcess[str]) -> bool:
    return "liminal.plugins" in result.stderr


@pytest.fixture
def snapshot(liminal_home: Path) -> Path:
    return liminal_home / "cache" / "models.json"


def test_the_second_listing_comes_from_the_snapshot(snapshot: Path) -> None:
    first = run("models", "list", "--json")
    assert first.returncode == 0, first.stderr
    assert loaded_plugins(first)
    assert snapshot.is_file()
    second = run("models", "list", "--json")
    assert second.returncode == 0
    assert not loaded_plugins(second), "the snapshot should have answered"
    assert json.loads(second.stdout) == json.loads(first.stdout)
    live = run("models", "list", "--json", no_cache=True)
    assert loaded_plugins(live)
    assert json.loads(live.stdout) == json.loads(first.stdout)


def test_a_new_preference_is_seen(snapshot: Path) -> None:
    run("models", "list")
    assert run("models", "default", "gpt-4o").returncode == 0
    listed = run("models", "list")
    assert loaded_plugins(listed)  # preferences.json changed: rebuilt
    starred = [line for line in listed.stdout.splitlines() if "*" in line.split("  ")[0]]
    assert starred
    assert starred[0].startswith("gpt-4o*")


def test_a_declared_model_is_seen(snapshot: Path) -> None:
    run("models", "list")
    added = run("openai", "add-model", "my-llama", "--base-url", "http://127.0.0.1:9/v1")
    assert added.returncode == 0, added.stderr
    ids = [m["id"] for m in json.loads(run("models", "list", "--json").stdout)]
    assert "my-llama" in ids


def test_a_broken_snapshot_is_rebuilt(snapshot: Path) -> None:
    run("models", "list")
    snapshot.write_text("{not json")
    again = run("models", "list", "--json")
    assert again.returncode == 0
    assert loaded_plugins(again)
    assert json.loads(snapshot.read_text())["version"] == 1


def test_the_provider_filter_and_its_errors_work_from_the_snapshot(snapshot: Path) -> None:
    run("models", "list")
    only = json.loads(run("models", "list", "--json", "--provider", "local").stdout)
    assert [m["id"] for m in only] == ["smollm2"]
    wrong = run("models", "list", "--provider", "opena")
    assert wrong.returncode == 2
    assert "Error [MODEL_NOT_FOUND]: unknown provider 'opena'" in wrong.stderr
    assert "did you mean openai?" in wrong.stderr
