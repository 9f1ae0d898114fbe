"""A 200 event stream with bytes that are not UTF-8 is server garbage: SERVER_ERROR, retried."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

PROVIDERS = [("openai", "gpt-4.1-mini"), ("anthropic", "claude-sonnet")]
FAST_RETRIES = {"retry": {"max_attempts": 3, "base": 0.01, "cap": 0.05}}


@pytest.fixture
def cli(tmp_path: Path, faults: Faults) -> Liminal:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps(FAST_RETRIES))
    runner = Liminal(home)
    runner.env.update(
        LIMINAL_PLUGINS="liminal-openai,liminal-anthropic",
        OPENAI_BASE_URL=faults.base_url,
        ANTHROPIC_BASE_URL=faults.root_url,
    )
    return runner


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_it_is_retried_and_the_next_answer_is_shown(
    cli: Liminal, faults: Faults, provider: str, model: str
) -> None:
    faults.undecodable_stream(provider=provider)  # type: ignore[arg-type]

    result = cli("prompt", "-m", model, "--key", "sk-test-key-0001", "Say hello")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "server error" in result.stderr  # the retry notice
    assert "UnicodeDecodeError" not in result.stderr


@pytest.mark.parametrize(("provider", "model"), PROVIDERS)
def test_when_it_persists_it_is_a_server_error(
    cli: Liminal, faults: Faults, provider: str, model: str
) -> None:
    faults.undecodable_stream(provider=provider, times=3)  # type: ignore[arg-type]

    result = cli("prompt", "-m", model, "--key", "sk-test-key-0001", "Say hello")

    assert result.returncode == 5, result.stderr
    assert error_line(result.stderr).startswith("Error [SERVER_ERROR]:")
    assert "UnicodeDecodeError" not in result.stderr
    assert faults.requests() == 3
