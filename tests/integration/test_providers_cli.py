"""The real ``liminal`` script in a subprocess, each cloud provider plugin against real peers.

llama-server (SmolLM2) answers every model id; the fault server counts requests and injects
failures. The environment is only what each test sets (plus PATH and the like): the
provider's base URL and key variables and LIMINAL_HOME. What only one provider's CLI does is in
test_openai_cli.py and test_anthropic_cli.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line
from support.live import LiveProvider

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

#: The tail every provider's key shape ends with (what must never be printed, even in part).
WRONG_TAIL = "wrong-0123456789abcdefWXYZ"


def wrong_key(live: LiveProvider) -> str:
    return live.wrong_key.split("wrong")[0] + WRONG_TAIL


# -- llama-server ---------------------------------------------------------------------------


def test_prompt_streams_text(live: LiveProvider, at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", live.cli_model, "Say hello", *live.short)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stdout.endswith("\n")
    assert "Error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_prompt_reads_stdin_and_takes_a_system_prompt(
    live: LiveProvider, at_llama: Liminal
) -> None:
    result = at_llama("prompt", "-m", live.model, "-s", "Be brief.", *live.fast, stdin="Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.parametrize("how", ["env", "--key"])
def test_a_wrong_key_is_auth_invalid_and_never_printed(
    live: LiveProvider, at_llama: Liminal, how: str
) -> None:
    wrong = wrong_key(live)
    args = ["prompt", "-m", live.cli_model, "Say hello", *live.short]
    if how == "env":
        at_llama.env[live.key_env] = wrong
    else:  # the only key: with a valid one in the pool too, the next key would answer
        del at_llama.env[live.key_env]
        args += ["--key", wrong]
    result = at_llama(*args)
    assert result.returncode == 3
    assert error_line(result.stderr).startswith("Error [AUTH_INVALID]: ")
    assert "Hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert WRONG_TAIL not in result.stdout + result.stderr


def test_a_rejected_explicit_key_falls_back_to_the_environment_key(
    live: LiveProvider, at_llama: Liminal
) -> None:
    wrong = wrong_key(live)
    result = at_llama("prompt", "-m", live.cli_model, "--key", wrong, "Hi", *live.short)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "was rejected; trying the next key" in result.stderr
    assert WRONG_TAIL not in result.stdout + result.stderr


def test_no_stream_json(live: LiveProvider, at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", live.model, "--no-stream", "--json", "Hi", *live.fast)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"]
    assert data["model"] == live.model
    assert data["provider"] == live.id
    assert data["finish_reason"] in ("stop", "length")
    assert data["usage"]["input"] > 0
    assert 0 < data["usage"]["output"] <= 8


def test_no_stream_prints_the_text(live: LiveProvider, at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", live.model, "--no-stream", "Say hello", *live.fast)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_max_tokens_one_finishes_with_length(live: LiveProvider, at_llama: Liminal) -> None:
    result = at_llama(
        "prompt", "-m", live.model, "--json", "-o", "max_tokens", "1", "-o", "temperature", "0",
        "Write a long story about a dragon.",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["finish_reason"], data["usage"]["output"]) == ("length", 1)


def test_a_prompt_over_the_context_exits_6(live: LiveProvider, at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", live.cli_model, *live.short, stdin="hello " * 3000)
    assert result.returncode == 6
    assert error_line(result.stderr).startswith("Error [CONTEXT_LENGTH_EXCEEDED]: ")


# -- the fault server -----------------------------------------------------------------------


def test_no_key_is_no_key_without_a_request(
    live: LiveProvider, at_faults: Liminal, faults: Faults
) -> None:
    at_faults.env.pop(live.key_env)
    result = at_faults("prompt", "-m", live.cli_model, "Say hello")
    assert result.returncode == 3
    assert error_line(result.stderr).startswith("Error [NO_KEY]: ")
    assert live.key_env in result.stderr
    assert faults.requests() == 0


@pytest.mark.parametrize(
    ("model", "option"),
    [("untempered", ("-o", "temperature", "1")), ("model", ("-o", "max_tokens", "999999"))],
    ids=["refused-by-the-model", "out-of-range"],
)
def test_a_bad_option_is_invalid_request_without_a_request(
    live: LiveProvider, at_faults: Liminal, faults: Faults, model: str, option: tuple[str, ...]
) -> None:
    result = at_faults("prompt", "-m", getattr(live, model), *option, "Say hello")
    assert result.returncode == 2
    assert error_line(result.stderr).startswith("Error [INVALID_REQUEST]: ")
    assert option[1] in result.stderr
    assert faults.requests() == 0


def test_rate_limit_retries_are_reported_on_stderr(
    live: LiveProvider, at_faults: Liminal, faults: Faults
) -> None:
    faults.rate_limit_ms(200, provider=live.id)
    result = at_faults("prompt", "-m", live.cli_model, "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert f"rate limited by {live.id}; retrying in 0.2 s (attempt 2 of" in result.stderr
    assert faults.requests(live.chat_path) == 2


def test_quota_exhausted_exits_4(live: LiveProvider, at_faults: Liminal, faults: Faults) -> None:
    faults.insufficient_quota(provider=live.id)
    result = at_faults("prompt", "-m", live.cli_model, "Say hello")
    assert result.returncode == 4
    assert error_line(result.stderr).startswith("Error [QUOTA_EXHAUSTED]: ")
    assert faults.requests() == 1


def test_a_stream_cut_mid_answer_keeps_the_text_and_exits_5(
    live: LiveProvider, at_faults: Liminal, faults: Faults
) -> None:
    faults.disconnect_mid_stream(after_chunks=live.events_with_text, provider=live.id)
    result = at_faults("prompt", "-m", live.cli_model, "Say hello")
    assert result.returncode == 5
    assert result.stdout.strip()  # what arrived was printed
    assert error_line(result.stderr).startswith("Error [STREAM_INTERRUPTED]: ")
    assert faults.requests() == 1
