"""The tutorial of docs/writing-plugins.md works as written: its files, taken from the page's
code blocks (``title="PATH"``), make a plugin that installs and passes the conformance suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support.procs import run_plugin_tests

PAGE = Path(__file__).resolve().parents[2] / "docs" / "writing-plugins.md"
FILES = dict(
    (path, code)
    for path, code in re.findall(
        r'^```\w+ title="([^"]+)"\n(.*?)^```$',
        PAGE.read_text(encoding="utf-8"),
        re.DOTALL | re.MULTILINE,
    )
)


def test_the_page_holds_the_whole_plugin() -> None:
    assert set(FILES) == {
        "pyproject.toml",
        "src/liminal_acme/__init__.py",
        "src/liminal_acme/plugin.py",
        "src/liminal_acme/service.py",
        "src/liminal_acme/errors.py",
        "tests/conftest.py",
        "tests/test_conformance.py",
    }


def test_the_tutorial_plugin_passes_the_conformance_suite(tmp_path: Path) -> None:
    project = tmp_path / "liminal-acme"
    for path, code in FILES.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(code, encoding="utf-8")
    # Installed into a folder of its own, not into the test venv: other tests (the CLI
    # reference among them) must not see an `acme` provider.
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--no-index", "--target", str(site), str(project)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMINAL_", "ACME_"))}
    env["PYTHONPATH"] = str(site)
    done = run_plugin_tests(project, env)
    assert "8 passed" in done.stdout, done.stdout
