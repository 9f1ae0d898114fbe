"""The ``liminal`` CLI: in-process with click's CliRunner, and the real console script.

In-process tests install a fake plugin set with ``reset_plugins``; subprocess tests run the
installed ``liminal`` script with LIMINAL_HOME in a temporary directory and
LIMINAL_PLUGINS=liminal-testplugin (tests/fixtures, found through its dist-info on PYTHONPATH),
so the machine's other plugins do not matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from liminal import Capabilities, ModelInfo, __version__
from liminal._serialize import structure, unstructure
from liminal.cli import cli, main
from liminal.plugins import Plugins, reset_plugins
from support.catalog import catalog_plugins, fake_model, fake_provider
from support.clirunner import Liminal

FAKE_PROVIDER = fake_provider(
    "fakeprov", display_name="Fake Provider", key_env_var="FAKEPROV_API_KEY", requires_key=True
)
FAKE_MODELS = (
    fake_model("fake-small", "fakeprov", context_window=16_000, aliases=("small",)),
    fake_model(
        "fake-large",
        "fakeprov",
        capabilities=Capabilities(tools=True, vision=True),
        deprecated=True,
    ),
)


@pytest.fixture
def fake_plugins() -> Iterator[Plugins]:
    plugins = catalog_plugins(FAKE_PROVIDER, FAKE_MODELS)
    reset_plugins(plugins)
    try:
        yield plugins
    finally:
        reset_plugins()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``liminal.cli.main`` in-process: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out, err


# -- in process ------------------------------------------------------------------------------


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"liminal, version {__version__}"


def test_models_list_json(runner: CliRunner, fake_plugins: Plugins) -> None:
    result = runner.invoke(cli, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == unstructure(list(FAKE_MODELS))
    assert [structure(item, ModelInfo) for item in data] == list(FAKE_MODELS)


def test_models_list_table(runner: CliRunner, fake_plugins: Plugins) -> None:
    result = runner.invoke(cli, ["models", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "PROVIDER",
        "CONTEXT",
        "MAX",
        "OUT",
        "CAPABILITIES",
        "ALIASES",
    ]
    small = next(line for line in lines if line.startswith("fake-small"))
    assert "16,000" in small
    assert "small" in small.split()
    large = next(line for line in lines if line.startswith("fake-large"))
    assert "(deprecated)" in large
    assert "tools,vision" in large


def test_models_list_provider_filter(runner: CliRunner, fake_plugins: Plugins) -> None:
    result = runner.invoke(cli, ["models", "list", "--provider", "fakeprov", "--json"])
    assert result.exit_code == 0
    assert {m["provider"] for m in json.loads(result.stdout)} == {"fakeprov"}


def test_models_show_by_alias(runner: CliRunner, fake_plugins: Plugins) -> None:
    result = runner.invoke(cli, ["models", "show", "small", "--json"])
    assert result.exit_code == 0, result.output
    assert structure(json.loads(result.stdout), ModelInfo) == FAKE_MODELS[0]
    text = runner.invoke(cli, ["models", "show", "small"]).stdout
    assert "Model:          fake-small" in text
    assert "Provider:       Fake Provider (fakeprov)" in text
    assert "Context window: 16,000 tokens" in text


def test_unknown_model_error_line_hint_and_exit_code(
    fake_plugins: Plugins, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(["models", "show", "fake-smal"], capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "Error [MODEL_NOT_FOUND]: unknown model 'fake-smal'"
    assert lines[1].startswith("Hint: did you mean fake-small")
    assert "Traceback" not in err


def test_unknown_provider_filter(fake_plugins: Plugins, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["models", "list", "--provider", "fakeprv"], capsys)
    assert code == 2
    assert err.startswith("Error [MODEL_NOT_FOUND]: unknown provider 'fakeprv'")
    assert "fakeprov" in err


def test_models_default_is_persisted(
    runner: CliRunner, fake_plugins: Plugins, liminal_home: Path
) -> None:
    shown = runner.invoke(cli, ["models", "default"])
    assert shown.exit_code == 0
    assert "No default model set" in shown.stdout  # fakeprov needs a key: no keyless fallback
    result = runner.invoke(cli, ["models", "default", "small"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Default model set to fake-small"
    stored = json.loads((liminal_home / "preferences.json").read_text())
    assert stored["default_model"] == "fake-small"
    assert runner.invoke(cli, ["models", "default"]).stdout.strip() == "fake-small"
    listed = runner.invoke(cli, ["models", "list"]).stdout
    assert any(line.startswith("fake-small*") for line in listed.splitlines())
    assert "* default model" in listed


def test_models_default_unknown_model_changes_nothing(
    fake_plugins: Plugins, liminal_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["models", "default", "nope"], capsys)
    assert code == 2
    assert "MODEL_NOT_FOUND" in err
    assert not (liminal_home / "preferences.json").exists()


@pytest.mark.parametrize("args", [["models", "default"], ["models", "default", "small"]])
def test_malformed_preferences_is_a_clear_error_and_left_alone(
    fake_plugins: Plugins,
    liminal_home: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    liminal_home.mkdir(parents=True)
    path = liminal_home / "preferences.json"
    path.write_text('{"default_model": ')
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert err.startswith("Error [INVALID_REQUEST]: preferences file")
    assert str(path) in err
    assert "Hint:" in err
    assert "Traceback" not in err
    assert path.read_text() == '{"default_model": '


def test_plugins_json_in_process(runner: CliRunner, fake_plugins: Plugins) -> None:
    result = runner.invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == ["liminal.builtin", "fakeprov"]
    assert records[0]["builtin"] is True
    assert records[0]["version"] == __version__


# -- the real console script -------------------------------------------------------------------


def test_script_version(run_liminal: Liminal) -> None:
    done = run_liminal("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"liminal, version {__version__}"


def test_script_help_lists_builtin_and_plugin_commands(run_liminal: Liminal) -> None:
    done = run_liminal("--help")
    assert done.returncode == 0
    for command in ("models", "plugins", "prompt", "testprov-hello"):
        assert command in done.stdout


def test_script_plugin_command(run_liminal: Liminal) -> None:
    done = run_liminal("testprov-hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello from testprov\n"
    gone = run_liminal("testprov-hello", LIMINAL_DISABLE_PLUGINS="liminal-testplugin")
    assert gone.returncode == 2
    assert "No such command" in gone.stderr


def test_script_plugins_json(run_liminal: Liminal) -> None:
    done = run_liminal("plugins", "--json")
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert set(records) == {"liminal.builtin", "testplugin"}
    assert records["liminal.builtin"]["builtin"] is True
    assert records["testplugin"]["distribution"] == "liminal-testplugin"
    assert records["testplugin"]["hooks"] == [
        "liminal_register_commands",
        "liminal_register_models",
        "liminal_register_providers",
    ]


def test_script_models_list_json(run_liminal: Liminal) -> None:
    done = run_liminal("models", "list", "--json")
    assert done.returncode == 0, done.stderr
    models = [structure(item, ModelInfo) for item in json.loads(done.stdout)]
    assert [m.id for m in models] == ["testprov-echo", "testprov-big"]
    assert models[0].aliases == ("echo",)
    assert done.stderr == ""


def test_script_models_list_provider(run_liminal: Liminal) -> None:
    done = run_liminal("models", "list", "--provider", "testprov", "--json")
    assert done.returncode == 0
    assert {m["provider"] for m in json.loads(done.stdout)} == {"testprov"}
    unknown = run_liminal("models", "list", "--provider", "nosuch", "--json")
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert json.loads(unknown.stderr)["error"]["code"] == "MODEL_NOT_FOUND"  # --json: as JSON


def test_script_models_show_unknown(run_liminal: Liminal) -> None:
    done = run_liminal("models", "show", "testprov-ech")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "Error [MODEL_NOT_FOUND]: unknown model 'testprov-ech'"
    assert lines[1].startswith("Hint: did you mean testprov-echo")
    assert "Traceback" not in done.stderr


def test_script_debug_shows_the_traceback(run_liminal: Liminal) -> None:
    done = run_liminal("--debug", "models", "show", "nope")
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_script_models_default_persisted(run_liminal: Liminal, liminal_home: Path) -> None:
    done = run_liminal("models", "default", "testprov-big")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Default model set to testprov-big"
    stored = json.loads((liminal_home / "preferences.json").read_text())
    assert stored == {"default_model": "testprov-big"}
    shown = run_liminal("models", "default")
    assert shown.returncode == 0
    assert shown.stdout.strip() == "testprov-big"


def test_script_malformed_preferences(run_liminal: Liminal, liminal_home: Path) -> None:
    liminal_home.mkdir(parents=True)
    path = liminal_home / "preferences.json"
    path.write_text("[not json")
    for args in (("models", "default"), ("models", "default", "echo")):
        done = run_liminal(*args)
        assert done.returncode == 2
        assert done.stderr.startswith("Error [INVALID_REQUEST]")
        assert "preferences" in done.stderr
        assert "Traceback" not in done.stderr
        assert path.read_text() == "[not json"


def test_script_prompt_streams_through_the_plugin_service(run_liminal: Liminal) -> None:
    done = run_liminal("prompt", "-m", "echo", "hello there")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hello", "there"]


def test_script_prompt_json(run_liminal: Liminal) -> None:
    done = run_liminal("prompt", "-m", "testprov-echo", "--no-stream", "--json", "ping")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["text"] == "ping"
    assert data["model"] == "testprov-echo"
    assert data["finish_reason"] == "stop"


def test_script_prompt_refuses_unknown_parameter(run_liminal: Liminal) -> None:
    done = run_liminal("prompt", "-m", "echo", "-o", "frobnicate", "1", "hi")
    assert done.returncode == 2
    assert "Error [INVALID_REQUEST]" in done.stderr
    assert "frobnicate" in done.stderr


def test_a_misspelled_command_gets_a_suggestion() -> None:
    from click.testing import CliRunner

    from liminal.cli import cli

    result = CliRunner().invoke(cli, ["modles", "list"])
    assert result.exit_code == 2
    assert "No such command 'modles'. Did you mean 'models'?" in result.output
