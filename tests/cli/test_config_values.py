"""config.json values of the wrong type or out of range are refused at load time, by key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import error_line

if TYPE_CHECKING:
    from support.clirunner import Liminal


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"timeouts": {"default": {"idle": -1}}}, "timeouts.default.idle"),
        ({"timeouts": {"gpt-4.1-mini": {"total": 0}}}, "timeouts.gpt-4.1-mini.total"),
        ({"timeouts": {"openai": {"connect": "10"}}}, "timeouts.openai.connect"),
        ({"fallbacks": {"gpt-4.1-mini": "smollm2"}}, "fallbacks.gpt-4.1-mini"),
        ({"fallbacks": {"gpt-4.1-mini": ["smollm2", 3]}}, "fallbacks.gpt-4.1-mini"),
        ({"retry": {"max_attempts": 0}}, "retry.max_attempts"),
        ({"retry": {"max_attempts": 2.5}}, "retry.max_attempts"),
        ({"retry": {"base": -0.5}}, "retry.base"),
        ({"circuit": {"failures": True}}, "circuit.failures"),
        ({"key_check_ttl": -1}, "key_check_ttl"),
        ({"exact_token_counts": "yes"}, "exact_token_counts"),
        ({"timeouts": []}, "timeouts"),
    ],
)
def test_a_bad_value_is_refused_naming_the_file_and_the_key(
    cli: Liminal, liminal_home: Path, config: dict[str, object], key: str
) -> None:
    cli.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # never reached
    liminal_home.mkdir()
    path = liminal_home / "config.json"
    path.write_text(json.dumps(config))
    before = path.read_bytes()

    result = cli("prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "hi")

    assert result.returncode == 2, result.stderr
    line = error_line(result.stderr)
    assert line.startswith("Error [INVALID_REQUEST]:")
    assert str(path) in line
    assert key in line
    assert any(x.startswith("Hint:") for x in result.stderr.splitlines())
    assert path.read_bytes() == before


def test_non_finite_numbers_are_refused(cli: Liminal, liminal_home: Path) -> None:
    liminal_home.mkdir()
    (liminal_home / "config.json").write_text('{"timeouts": {"default": {"total": Infinity}}}')

    result = cli("prompt", "-m", "gpt-4.1-mini", "--key", "sk-test", "hi")

    assert result.returncode == 2, result.stderr
    assert "timeouts.default.total" in error_line(result.stderr)
