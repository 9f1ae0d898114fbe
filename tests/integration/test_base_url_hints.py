"""An answer that is not the provider's API names that provider's base URL variable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("provider", "model", "variable", "other"),
    [
        ("openai", "gpt-4.1-mini", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"),
        ("anthropic", "claude-sonnet", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"),
    ],
)
def test_the_hint_names_the_providers_own_variable(
    tmp_path: Path, faults: Faults, provider: str, model: str, variable: str, other: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.json").write_text(json.dumps({"retry": {"max_attempts": 1}}))
    cli = Liminal(home)
    cli.env.update(
        LIMINAL_PLUGINS="liminal-openai,liminal-anthropic",
        OPENAI_BASE_URL=faults.base_url,
        ANTHROPIC_BASE_URL=faults.root_url,
    )
    faults.not_the_api(provider=provider)  # type: ignore[arg-type]

    result = cli("prompt", "-m", model, "--key", "sk-test-key-0001", "Say hello")

    assert result.returncode == 5, result.stderr
    assert error_line(result.stderr).startswith("Error [SERVER_ERROR]:")
    hint = next(x for x in result.stderr.splitlines() if x.startswith("Hint:"))
    assert variable in hint
    assert other not in hint
