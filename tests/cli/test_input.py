"""Input that is not UTF-8 and parameters that are not finite numbers: INVALID_REQUEST."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal


def test_prompt_from_stdin_that_is_not_utf8(cli: Liminal, liminal_home: Path) -> None:
    result = cli("prompt", "-m", "smollm2", stdin=b"hello \xff\xfe")

    assert result.returncode == 2, result.stderr
    line = error_line(result.stderr)
    assert line.startswith("Error [INVALID_REQUEST]:")
    assert "standard input" in line
    assert "UTF-8" in line
    assert any(x.startswith("Hint:") for x in result.stderr.splitlines())
    assert not (liminal_home / "conversations.db").exists()  # nothing was stored


def test_a_chat_line_that_is_not_utf8_ends_only_that_turn(cli: Liminal) -> None:
    result = cli("chat", "-m", "smollm2", stdin=b"hello \xff\xfe\n/model\n/exit\n")

    assert result.returncode == 0, result.stderr
    line = error_line(result.stderr)
    assert line.startswith("Error [INVALID_REQUEST]:")
    assert "UTF-8" in line
    assert result.stdout.strip() == "smollm2"  # /model still ran after the bad line


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_temperature_that_is_not_a_finite_number(cli: Liminal, value: str) -> None:
    cli.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # never reached

    result = cli(
        "prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "-o", "temperature", value, "hi"
    )

    assert result.returncode == 2, result.stderr
    line = error_line(result.stderr)
    assert line.startswith("Error [INVALID_REQUEST]:")
    assert "temperature" in line
