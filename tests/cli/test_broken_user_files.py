"""User files that are not UTF-8, are directories, or hold unusable keys: INVALID_REQUEST (exit
2) naming the file, with a hint, and the file left as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal

NOT_UTF8 = b'{"default_model": "caf\xe9 \xff"}'


def not_utf8(path: Path) -> None:
    path.write_bytes(NOT_UTF8)


def directory(path: Path) -> None:
    path.mkdir()
    (path / "inside").write_text("kept")


BREAKAGES = {"not UTF-8": not_utf8, "a directory": directory}


def snapshot(path: Path) -> object:
    if path.is_dir():
        return sorted((p.name, p.read_bytes()) for p in path.iterdir())
    return path.read_bytes()


def assert_invalid_file(result: object, path: Path) -> None:
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, stderr  # type: ignore[attr-defined]
    line = error_line(stderr)
    assert line.startswith("Error [INVALID_REQUEST]:"), line
    assert str(path) in line
    assert any(x.startswith("Hint:") for x in stderr.splitlines())
    assert "Traceback" not in stderr


#: file -> a command that reads it
COMMANDS = {
    "config.json": ("prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "hi"),
    "preferences.json": ("models", "default"),
    "local-models.json": ("local", "remove", "mine"),
    "openai-compatible.json": ("openai", "list-models"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unreadable_file_is_an_invalid_request(
    cli: Liminal, liminal_home: Path, name: str, breakage: str
) -> None:
    cli.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # never reached
    liminal_home.mkdir()
    path = liminal_home / name
    BREAKAGES[breakage](path)
    before = snapshot(path)

    result = cli(*COMMANDS[name])

    assert_invalid_file(result, path)
    assert snapshot(path) == before


@pytest.mark.parametrize("name", ["openai-compatible.json", "local-models.json"])
def test_a_broken_declarations_file_does_not_unload_the_plugin(
    cli: Liminal, liminal_home: Path, name: str
) -> None:
    liminal_home.mkdir()
    not_utf8(liminal_home / name)

    result = cli("models", "list")

    assert result.returncode == 0, result.stderr
    assert "gpt-4.1-mini" in result.stdout
    assert "smollm2" in result.stdout
    assert "failed to load" not in result.stderr
    warning = next(x for x in result.stderr.splitlines() if x.startswith("Warning:"))
    assert str(liminal_home / name) in warning
    assert (liminal_home / name).read_bytes() == NOT_UTF8


def key_file_with(value: str) -> Callable[[Path], None]:
    def write(home: Path) -> None:
        data = {
            "version": 1,
            "providers": {"openai": {"keys": [{"label": "work", "value": value}]}},
        }
        (home / "keys.json").write_text(json.dumps(data))
        (home / "keys.json").chmod(0o600)

    return write


@pytest.mark.parametrize(
    "value", ["", "   ", "sk-first-half\nsk-second-half"], ids=["empty", "blank", "newline"]
)
def test_a_stored_key_that_cannot_be_a_key_is_an_invalid_request(
    cli: Liminal, liminal_home: Path, value: str
) -> None:
    cli.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # never reached
    (liminal_home / "config.json").parent.mkdir()
    (liminal_home / "config.json").write_text('{"retry": {"base": 0.01, "cap": 0.02}}')
    key_file_with(value)(liminal_home)
    before = (liminal_home / "keys.json").read_bytes()

    result = cli("prompt", "-m", "gpt-4.1-mini", "hi")

    assert_invalid_file(result, liminal_home / "keys.json")
    assert "work" in error_line(result.stderr)  # the label says which key
    assert (liminal_home / "keys.json").read_bytes() == before
