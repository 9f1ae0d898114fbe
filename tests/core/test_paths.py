"""LIMINAL_HOME overrides the config and data dirs; otherwise the platform's user dirs."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from liminal._paths import config_dir, data_dir


def test_liminal_home_overrides_both(liminal_home: Path) -> None:
    assert config_dir() == liminal_home
    assert data_dir() == liminal_home


@pytest.mark.parametrize("value", [None, ""])
def test_platform_dirs_without_liminal_home(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("LIMINAL_HOME")
    else:
        monkeypatch.setenv("LIMINAL_HOME", value)
    assert config_dir() == Path(platformdirs.user_config_dir("liminal"))
    assert data_dir() == Path(platformdirs.user_data_dir("liminal"))
