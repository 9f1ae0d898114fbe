"""The real ``liminal`` script in a subprocess, with the OpenAI plugin against real peers.

llama-server (SmolLM2) answers every model id; the fault server counts requests and injects
failures. The environment is only what each test sets (plus PATH and the like).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer
    from support.faults import Faults

pytestmark = pytest.mark.integration

WRONG_KEY = "sk-wrong-0123456789abcdefWXYZ"
FAST = ("-o", "temperature", "0", "-o", "seed", "42", "-o", "max_tokens", "8")


@pytest.fixture
def liminal(tmp_path: Path) -> Liminal:
    return Liminal(tmp_path)


@pytest.fixture
def at_llama(liminal: Liminal, llama_server: LlamaServer) -> Liminal:
    liminal.env["OPENAI_BASE_URL"] = llama_server.base_url
    liminal.env["OPENAI_API_KEY"] = llama_server.api_key
    return liminal


@pytest.fixture
def at_faults(liminal: Liminal, faults: Faults) -> Liminal:
    liminal.env["OPENAI_BASE_URL"] = faults.base_url
    liminal.env["OPENAI_API_KEY"] = "sk-fault-cli-key-0001"
    return liminal


# -- llama-server ---------------------------------------------------------------------------


def test_prompt_streams_text(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "gpt-4-turbo", "Say hello", *FAST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stdout.endswith("\n")
    assert "Error [" not in result.stderr


def test_prompt_reads_stdin_and_takes_a_system_prompt(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "4o", "-s", "Be brief.", *FAST, stdin="Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_prompt_on_a_reasoning_model(at_llama: Liminal) -> None:
    result = at_llama(
        "prompt", "-m", "o3", "-o", "max_tokens", "8", "-o", "reasoning_effort", "low", "Say hello"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.parametrize("how", ["env", "--key"])
def test_a_wrong_key_is_auth_invalid_and_never_printed(at_llama: Liminal, how: str) -> None:
    args = ["prompt", "-m", "gpt-4-turbo", "Say hello", *FAST]
    if how == "env":
        at_llama.env["OPENAI_API_KEY"] = WRONG_KEY
    else:  # the only key: with a valid one in the pool too, the next key would answer
        del at_llama.env["OPENAI_API_KEY"]
        args += ["--key", WRONG_KEY]
    result = at_llama(*args)
    assert result.returncode == 3
    assert error_line(result.stderr).startswith("Error [AUTH_INVALID]: ")
    assert "Hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert WRONG_KEY not in result.stdout + result.stderr
    assert WRONG_KEY[3:] not in result.stdout + result.stderr


def test_no_stream_json(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "gpt-4o", "--no-stream", "--json", "Say hello", *FAST)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"]
    assert data["model"] == "gpt-4o"
    assert data["provider"] == "openai"
    assert data["finish_reason"] in ("stop", "length")
    assert data["usage"]["input"] > 0
    assert 0 < data["usage"]["output"] <= 8


def test_no_stream_prints_the_text(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "gpt-4o", "--no-stream", "Say hello", *FAST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_max_tokens_one_finishes_with_length(at_llama: Liminal) -> None:
    result = at_llama(
        "prompt", "-m", "gpt-4o", "--json", "-o", "max_tokens", "1", "-o", "temperature", "0",
        "Write a long story about a dragon.",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["finish_reason"], data["usage"]["output"]) == ("length", 1)


def test_a_prompt_over_the_context_exits_6(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "gpt-4o", "-o", "max_tokens", "4", stdin="hello " * 3000)
    assert result.returncode == 6
    assert error_line(result.stderr).startswith("Error [CONTEXT_LENGTH_EXCEEDED]: ")


def test_models_list_remote_marks_unknown_models(at_llama: Liminal) -> None:
    result = at_llama("models", "list", "--remote", "--provider", "openai")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["openai  smollm2  (not in the catalog: limits unknown)"]
    as_json = at_llama("models", "list", "--remote", "--provider", "openai", "--json")
    assert json.loads(as_json.stdout) == [
        {"id": "smollm2", "provider": "openai", "in_catalog": False}
    ]


def test_declared_model_round_trip(
    liminal: Liminal, llama_server: LlamaServer, faults: Faults
) -> None:
    # The OpenAI settings point at the fault server with a wrong key: the declared model must
    # use neither, only its own base URL and its own key variable.
    liminal.env["OPENAI_BASE_URL"] = faults.base_url
    liminal.env["OPENAI_API_KEY"] = WRONG_KEY
    liminal.env["SMOL_KEY"] = llama_server.api_keys[1]

    added = liminal(
        "openai", "add-model", "smol", "--base-url", llama_server.base_url, "--key-env", "SMOL_KEY",
        "--context-window", "2048", "--max-output", "256", "--alias", "tiny",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"Added smol at {llama_server.base_url}\n"

    listed = liminal("openai", "list-models")
    assert listed.returncode == 0
    assert listed.stdout == f"smol  {llama_server.base_url}  context 2,048 key from $SMOL_KEY\n"

    shown = liminal("models", "list", "--provider", "openai")
    assert any(line.startswith("smol ") for line in shown.stdout.splitlines())

    for model in ("smol", "tiny"):
        answered = liminal("prompt", "-m", model, "Say hello", *FAST)
        assert answered.returncode == 0, answered.stderr
        assert answered.stdout.strip()
    as_json = liminal("prompt", "-m", "smol", "--json", "Say hello", *FAST)
    assert json.loads(as_json.stdout)["model"] == "smol"
    assert faults.requests() == 0  # nothing went to the OpenAI base URL

    liminal.env.pop("SMOL_KEY")
    no_key = liminal("prompt", "-m", "smol", "Say hello", *FAST)
    assert no_key.returncode == 3
    assert error_line(no_key.stderr).startswith("Error [NO_KEY]: ")
    assert "SMOL_KEY" in no_key.stderr

    removed = liminal("openai", "remove-model", "smol")
    assert (removed.returncode, removed.stdout) == (0, "Removed smol\n")
    assert liminal("openai", "list-models").stdout == ""
    gone = liminal("prompt", "-m", "smol", "Say hello")
    assert gone.returncode == 2
    assert error_line(gone.stderr).startswith("Error [MODEL_NOT_FOUND]: ")
    assert faults.requests() == 0


# -- the fault server -----------------------------------------------------------------------


def test_an_option_the_model_refuses_is_invalid_request_without_a_request(
    at_faults: Liminal, faults: Faults
) -> None:
    result = at_faults("prompt", "-m", "o3", "-o", "temperature", "1", "Say hello")
    assert result.returncode == 2
    assert error_line(result.stderr).startswith("Error [INVALID_REQUEST]: ")
    assert "temperature" in result.stderr
    assert faults.requests() == 0


def test_a_bad_option_value_is_invalid_request_without_a_request(
    at_faults: Liminal, faults: Faults
) -> None:
    result = at_faults("prompt", "-m", "gpt-4o", "-o", "max_tokens", "999999", "Say hello")
    assert result.returncode == 2
    assert error_line(result.stderr).startswith("Error [INVALID_REQUEST]: ")
    assert faults.requests() == 0


def test_retries_are_reported_on_stderr(at_faults: Liminal, faults: Faults) -> None:
    faults.rate_limit_ms(200)
    result = at_faults("prompt", "-m", "gpt-4o", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "rate limited by openai; retrying in 0.2 s (attempt 2 of" in result.stderr
    assert faults.requests("/v1/chat/completions") == 2


def test_quota_exhausted_exits_4(at_faults: Liminal, faults: Faults) -> None:
    faults.insufficient_quota()
    result = at_faults("prompt", "-m", "gpt-4o", "Say hello")
    assert result.returncode == 4
    assert error_line(result.stderr).startswith("Error [QUOTA_EXHAUSTED]: ")
    assert faults.requests() == 1


def test_a_stream_cut_mid_answer_keeps_the_text_and_exits_5(
    at_faults: Liminal, faults: Faults
) -> None:
    faults.disconnect_mid_stream(after_chunks=3)
    result = at_faults("prompt", "-m", "gpt-4o", "Say hello")
    assert result.returncode == 5
    assert result.stdout.strip()  # what arrived was printed
    assert error_line(result.stderr).startswith("Error [STREAM_INTERRUPTED]: ")
    assert faults.requests() == 1
