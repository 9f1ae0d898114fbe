"""The real ``liminal`` script with the OpenAI plugin: reasoning models, the remote model list
and declared OpenAI-compatible models.

What every provider's CLI does is in test_providers_cli.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line
from support.live import OPENAI, only

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer
    from support.faults import Faults

pytestmark = [pytest.mark.integration, only(OPENAI)]

WRONG_KEY = "sk-wrong-0123456789abcdefWXYZ"
FAST = OPENAI.fast


# -- llama-server ---------------------------------------------------------------------------


def test_prompt_on_a_reasoning_model(at_llama: Liminal) -> None:
    result = at_llama(
        "prompt", "-m", "o3", "-o", "max_tokens", "8", "-o", "reasoning_effort", "low", "Say hello"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_models_list_remote_marks_unknown_models(at_llama: Liminal) -> None:
    result = at_llama("models", "list", "--remote", "--provider", "openai")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["openai  smollm2  (not in the catalog: limits unknown)"]
    as_json = at_llama("models", "list", "--remote", "--provider", "openai", "--json")
    assert json.loads(as_json.stdout) == [
        {"id": "smollm2", "provider": "openai", "in_catalog": False}
    ]


def test_declared_model_round_trip(
    at_faults: Liminal, llama_server: LlamaServer, faults: Faults
) -> None:
    # The OpenAI settings point at the fault server, with a wrong key: the declared model must
    # use neither, only its own base URL and its own key variable.
    liminal = at_faults
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
