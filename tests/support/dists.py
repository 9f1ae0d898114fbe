"""The fixture plugin distributions, found through real ``*.dist-info`` metadata, never installed.

``liminal-testplugin`` (provider ``testprov``) and ``liminal-brokenplugin`` (fails on import)
live in tests/fixtures as source distributions. ``PluginSite`` lays them out in a directory
the way an installer would: the import package beside a ``<name>-<version>.dist-info`` folder
holding ``METADATA`` and ``entry_points.txt``, both written from the fixture's pyproject.toml.
Put on ``sys.path`` (this process) and ``PYTHONPATH`` (child processes), the directory makes
``importlib.metadata`` find them exactly as it finds a third-party plugin in site-packages, and
the venv is never changed, so test sessions sharing it do not see each other's plugins.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path

import attrs
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@attrs.frozen
class Dist:
    """One fixture distribution: its project name and the import package it ships."""

    name: str
    package: str

    @property
    def project(self) -> dict[str, object]:
        pyproject = FIXTURES / self.name / "pyproject.toml"
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]

    def dist_info(self) -> str:
        return f"{self.package}-{self.project['version']}.dist-info"


TESTPLUGIN = Dist("liminal-testplugin", "liminal_testplugin")
BROKENPLUGIN = Dist("liminal-brokenplugin", "liminal_brokenplugin")
ALL = (TESTPLUGIN, BROKENPLUGIN)


class PluginSite:
    """A directory of "installed" fixture distributions, on the import paths while in use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def install(self, dist: Dist) -> None:
        """The package and its metadata, as ``pip install`` would leave them."""
        shutil.copytree(FIXTURES / dist.name / "src" / dist.package, self.root / dist.package)
        project = dist.project
        info = self.root / dist.dist_info()
        info.mkdir()
        metadata = (
            f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
        )
        (info / "METADATA").write_text(metadata, encoding="utf-8")
        groups = project.get("entry-points", {})
        assert isinstance(groups, dict)
        lines = []
        for group, entries in groups.items():
            lines.append(f"[{group}]")
            lines += [f"{name} = {target}" for name, target in entries.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._forget(dist)

    def uninstall(self, dist: Dist) -> None:
        shutil.rmtree(self.root / dist.package)
        shutil.rmtree(self.root / dist.dist_info())
        self._forget(dist)

    def activate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """On ``sys.path`` here and on ``PYTHONPATH`` for children, until ``monkeypatch`` undoes."""
        monkeypatch.syspath_prepend(str(self.root))
        inherited = os.environ.get("PYTHONPATH")
        paths = [str(self.root), *([inherited] if inherited else [])]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))

    @staticmethod
    def _forget(dist: Dist) -> None:
        """Drop the imported package and the finders' caches, as a new process would start."""
        importlib.invalidate_caches()
        for name in [m for m in sys.modules if m.split(".")[0] == dist.package]:
            del sys.modules[name]
