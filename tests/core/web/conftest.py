"""One `liminal ui` per test module (no model is loaded by these tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.uiserver import UiServer, clean_env, ui_server


@pytest.fixture(scope="module")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-home")


@pytest.fixture(scope="module")
def server(ui_home: Path) -> Iterator[UiServer]:
    with ui_server(clean_env(ui_home)) as running:
        yield running
