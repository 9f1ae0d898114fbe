"""config.json: retries, timeouts per provider and model, fallbacks, circuit settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liminal.config import Config, TimeoutOverrides, load_config
from liminal.errors import ErrorCode, LiminalError
from liminal.provider.service import Timeouts
from liminal.retry import RetryPolicy


def test_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.json")
    assert config == Config()
    assert config.policy() == RetryPolicy()
    assert config.timeouts_for("openai", "gpt-4o") == Timeouts()


def test_model_wins_over_provider_wins_over_default(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "retry": {"max_attempts": 2, "deadline": 5},
                "timeouts": {
                    "default": {"idle": 30, "total": 100},
                    "openai": {"connect": 3, "idle": 20},
                    "gpt-4o": {"idle": 7},
                },
                "fallbacks": {"gpt-4o": ["claude-sonnet"]},
                "circuit": {"failures": 2, "cooldown": 5},
            }
        )
    )
    config = load_config(path)
    assert config.policy() == RetryPolicy(max_attempts=2, deadline=5)
    assert config.timeouts_for() == Timeouts(connect=10, idle=30, total=100)
    assert config.timeouts_for("openai") == Timeouts(connect=3, idle=20, total=100)
    assert config.timeouts_for("openai", "gpt-4o") == Timeouts(connect=3, idle=7, total=100)
    assert config.timeouts_for("anthropic", "claude") == Timeouts(connect=10, idle=30, total=100)
    assert config.fallbacks == {"gpt-4o": ["claude-sonnet"]}
    assert config.circuit.failures == 2


@pytest.mark.parametrize("text", ["{", '{"timeouts": {"openai": {"idle": "soon"}}}', "[]"])
def test_a_broken_file_is_a_clear_error_and_left_untouched(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    with pytest.raises(LiminalError) as caught:
        load_config(path)
    assert caught.value.code is ErrorCode.INVALID_REQUEST
    assert str(path) in caught.value.message
    assert "left untouched" in caught.value.hint
    assert path.read_text() == text


def test_overrides_leave_unset_fields_alone() -> None:
    assert TimeoutOverrides(total=5).over(Timeouts(connect=1, idle=2, total=3)) == Timeouts(1, 2, 5)
