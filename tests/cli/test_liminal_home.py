"""LIMINAL_HOME that is a file, lies under a file, or cannot be written: one clear error each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal

COMMANDS = [
    ("models", "default", "smollm2"),
    ("conversations", "list"),
    ("keys", "set", "openai", "--value", "sk-test-key-0001"),
    ("models", "default"),
]


def assert_home_error(result: object, home: Path, says: str) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    line = error_line(stderr)
    assert line.startswith("Error [INVALID_REQUEST]:"), line
    assert "LIMINAL_HOME" in line
    assert str(home) in line
    assert says in line
    hint = next(x for x in stderr.splitlines() if x.startswith("Hint:"))
    assert "LIMINAL_HOME" in hint
    assert "Traceback" not in stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_file(cli: Liminal, tmp_path: Path, args: tuple[str, ...]) -> None:
    home = tmp_path / "not-a-dir"
    home.write_text("my notes")
    cli.env["LIMINAL_HOME"] = str(home)

    result = cli(*args)

    assert_home_error(result, home, "not a directory")
    assert home.read_text() == "my notes"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_path_under_a_file(cli: Liminal, tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "file").write_text("my notes")
    home = tmp_path / "file" / "liminal"
    cli.env["LIMINAL_HOME"] = str(home)

    result = cli(*args)

    assert_home_error(result, home, "not a directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_directory_that_cannot_be_written(cli: Liminal, tmp_path: Path) -> None:
    home = tmp_path / "locked"
    home.mkdir(mode=0o500)
    cli.env["LIMINAL_HOME"] = str(home)
    try:
        result = cli("models", "default", "smollm2")
    finally:
        home.chmod(0o700)

    assert_home_error(result, home, "cannot be written")
