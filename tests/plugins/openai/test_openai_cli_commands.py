"""``liminal openai add-model | list-models | remove-model``, in process (liminal_openai/cli.py).

The same commands run as a real ``liminal`` subprocess in
tests/integration/test_openai_cli.py (subprocess).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liminal.cli import main
from liminal.plugins import reset_plugins
from liminal_openai.compatible import compatible_path, load_compatible

SERVER = "http://127.0.0.1:8080/v1"


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of ``liminal ARGS``; plugins reload as in a new process."""
        reset_plugins()
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        out, err = self._capsys.readouterr()
        code = exit_.value.code
        return (code if isinstance(code, int) else 1), out, err


@pytest.fixture
def liminal(liminal_home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


def test_openai_group_is_listed_in_help(liminal: Cli) -> None:
    code, out, _ = liminal("--help")
    assert code == 0
    assert "openai" in out


def test_add_list_remove_round_trip(liminal: Cli) -> None:
    code, out, err = liminal(
        "openai", "add-model", "my-llama", "--base-url", SERVER + "/", "--key-env", "MY_KEY",
        "--context-window", "2048", "--max-output", "4096", "--alias", "ml",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == f"Added my-llama at {SERVER}\n"
    [model] = load_compatible().models
    assert model.base_url == SERVER  # trailing slash dropped
    assert (model.context_window, model.max_output_tokens) == (2048, 2048)  # capped
    assert model.key_env_var == "MY_KEY"
    assert model.aliases == ("ml",)

    code, out, _ = liminal("openai", "list-models")
    assert code == 0
    assert out == f"my-llama  {SERVER}  context 2,048 key from $MY_KEY\n"

    code, out, _ = liminal("models", "show", "ml", "--json")
    assert code == 0
    shown = json.loads(out)
    assert (shown["id"], shown["provider"], shown["base_url"]) == ("my-llama", "openai", SERVER)

    code, out, _ = liminal("openai", "remove-model", "my-llama")
    assert (code, out) == (0, "Removed my-llama\n")
    assert load_compatible().models == ()
    code, out, _ = liminal("openai", "list-models")
    assert (code, out) == (0, "")


def test_a_model_without_key_env_is_listed_as_keyless(liminal: Cli) -> None:
    assert liminal("openai", "add-model", "free", "--base-url", SERVER)[0] == 0
    assert liminal("openai", "list-models")[1] == f"free  {SERVER}  context 4,096 no key\n"


def test_adding_a_declared_id_again_replaces_it(liminal: Cli) -> None:
    assert liminal("openai", "add-model", "m", "--base-url", SERVER)[0] == 0
    assert liminal("openai", "add-model", "m", "--base-url", "https://other.example/v1")[0] == 0
    [model] = load_compatible().models
    assert model.base_url == "https://other.example/v1"


@pytest.mark.parametrize("name", ["gpt-4o", "4o"])
def test_a_catalog_id_or_alias_cannot_be_declared(liminal: Cli, name: str) -> None:
    code, out, err = liminal("openai", "add-model", name, "--base-url", SERVER)
    assert code == 2
    assert out == ""
    assert err.startswith("Error [INVALID_REQUEST]: ")
    assert "already a model id or alias" in err
    assert not compatible_path().exists()


def test_an_alias_clashing_with_the_catalog_is_refused(liminal: Cli) -> None:
    code, _, err = liminal("openai", "add-model", "mine", "--base-url", SERVER, "--alias", "4o")
    assert code == 2
    assert "'4o'" in err


def test_base_url_must_be_http(liminal: Cli) -> None:
    code, _, err = liminal("openai", "add-model", "m", "--base-url", "ftp://x")
    assert code == 2
    assert "--base-url" in err
    assert not compatible_path().exists()


def test_removing_an_unknown_model_is_model_not_found(liminal: Cli) -> None:
    code, _, err = liminal("openai", "remove-model", "ghost")
    assert code == 2
    assert err.startswith("Error [MODEL_NOT_FOUND]: ")
    assert "liminal openai list-models" in err


@pytest.mark.parametrize(
    "args",
    [
        ("openai", "list-models"),
        ("openai", "remove-model", "x"),
        ("openai", "add-model", "x", "--base-url", SERVER),
    ],
)
def test_a_broken_file_is_reported_and_left_untouched(liminal: Cli, args: tuple[str, ...]) -> None:
    compatible_path().parent.mkdir()
    compatible_path().write_text("{broken", encoding="utf-8")
    code, _, err = liminal(*args)
    assert code == 2
    assert "Error [INVALID_REQUEST]" in err
    assert "fix or remove it; it was left untouched" in err
    assert compatible_path().read_text(encoding="utf-8") == "{broken"
