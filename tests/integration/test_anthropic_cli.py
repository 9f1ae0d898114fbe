"""The real ``liminal`` script in a subprocess, with the Anthropic plugin against real peers.

llama-server (SmolLM2) serves /v1/messages for every Claude id; the fault server counts
requests and injects failures. The environment is only what each test sets (plus PATH and the
like): ``ANTHROPIC_BASE_URL`` (no ``/v1``), ``ANTHROPIC_API_KEY``, ``LIMINAL_HOME``.
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

WRONG_KEY = "sk-ant-wrong-0123456789abcdefWXYZ"
#: claude-sonnet (Claude Sonnet 5.5) takes no temperature: bound the sampled answer instead.
SHORT = ("-o", "max_tokens", "16")
FAST = ("-o", "temperature", "0", "-o", "max_tokens", "8")


@pytest.fixture
def liminal(tmp_path: Path) -> Liminal:
    return Liminal(tmp_path)


@pytest.fixture
def at_llama(liminal: Liminal, llama_server: LlamaServer) -> Liminal:
    liminal.env["ANTHROPIC_BASE_URL"] = llama_server.root_url
    liminal.env["ANTHROPIC_API_KEY"] = llama_server.api_key
    return liminal


@pytest.fixture
def at_faults(liminal: Liminal, faults: Faults) -> Liminal:
    liminal.env["ANTHROPIC_BASE_URL"] = faults.root_url
    liminal.env["ANTHROPIC_API_KEY"] = "sk-ant-fault-cli-key-0001"
    return liminal


# -- llama-server ---------------------------------------------------------------------------


def test_prompt_streams_text(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "claude-sonnet", "Say hello", *SHORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stdout.endswith("\n")
    assert "Error" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("how", ["env", "--key"])
def test_a_wrong_key_is_auth_invalid_and_never_printed(at_llama: Liminal, how: str) -> None:
    args = ["prompt", "-m", "claude-sonnet", "Say hello", *SHORT]
    if how == "env":
        at_llama.env["ANTHROPIC_API_KEY"] = WRONG_KEY
    else:
        at_llama.env.pop("ANTHROPIC_API_KEY")  # else the pool falls back to it (next test)
        args += ["--key", WRONG_KEY]
    result = at_llama(*args)
    assert result.returncode == 3
    assert error_line(result.stderr).startswith("Error [AUTH_INVALID]: ")
    assert "Hint: " in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert WRONG_KEY not in result.stdout + result.stderr
    assert WRONG_KEY[7:] not in result.stdout + result.stderr


def test_a_rejected_explicit_key_falls_back_to_the_environment_key(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "claude-sonnet", "--key", WRONG_KEY, "Say hello", *SHORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "was rejected; trying the next key" in result.stderr
    assert WRONG_KEY not in result.stdout + result.stderr


def test_no_stream_json(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "claude-opus-4-6", "--no-stream", "--json", "Hi", *FAST)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["text"]
    assert data["model"] == "claude-opus-4-6"
    assert data["provider"] == "anthropic"
    assert data["finish_reason"] in ("stop", "length")
    assert data["usage"]["input"] > 0
    assert 0 < data["usage"]["output"] <= 8


def test_a_prompt_over_the_context_exits_6(at_llama: Liminal) -> None:
    result = at_llama("prompt", "-m", "claude-sonnet", *SHORT, stdin="hello " * 3000)
    assert result.returncode == 6
    assert error_line(result.stderr).startswith("Error [CONTEXT_LENGTH_EXCEEDED]: ")


# -- the fault server -----------------------------------------------------------------------


def test_no_key_is_no_key_without_a_request(at_faults: Liminal, faults: Faults) -> None:
    at_faults.env.pop("ANTHROPIC_API_KEY")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 3
    assert error_line(result.stderr).startswith("Error [NO_KEY]: ")
    assert "ANTHROPIC_API_KEY" in result.stderr
    assert faults.requests() == 0


def test_a_sampling_option_the_model_refuses_is_invalid_without_a_request(
    at_faults: Liminal, faults: Faults
) -> None:
    result = at_faults("prompt", "-m", "claude-sonnet", "-o", "temperature", "0", "Say hello")
    assert result.returncode == 2
    assert error_line(result.stderr).startswith("Error [INVALID_REQUEST]: ")
    assert "temperature" in result.stderr
    assert faults.requests() == 0


def test_retries_are_reported_on_stderr(at_faults: Liminal, faults: Faults) -> None:
    faults.server_error(529, provider="anthropic")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "overloaded: anthropic; retrying in" in result.stderr
    assert faults.requests("/v1/messages") == 2


def test_out_of_credit_exits_4(at_faults: Liminal, faults: Faults) -> None:
    faults.insufficient_quota(provider="anthropic")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 4
    assert error_line(result.stderr).startswith("Error [QUOTA_EXHAUSTED]: ")
    assert faults.requests() == 1


def test_overloaded_mid_answer_keeps_the_text_and_exits_5(
    at_faults: Liminal, faults: Faults
) -> None:
    faults.overloaded_in_stream(partial_text="Hel")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 5
    assert result.stdout == "Hel\n"  # what arrived was printed
    assert error_line(result.stderr).startswith("Error [OVERLOADED]: ")
    assert faults.requests() == 1
