"""The habits of the field, through the real CLI: a bare prompt, JSON on every listing and for
errors, conversation search and deletion, warnings and empty listings that say what to do."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from liminal.cli import output
from liminal.store import ConversationStore
from liminal.types import Message, Role
from support.clirunner import Liminal


def stored(home: Path, *turns: tuple[str, str, str]) -> list[str]:
    """Conversations of (user text, answer, model); their ids."""
    store = ConversationStore(home / "conversations.db")
    ids = []
    for user, answer, model in turns:
        cid = store.new_conversation(model=model)
        store.add(cid, Message(Role.USER, user))
        store.add(cid, Message(Role.ASSISTANT, answer, model))
        ids.append(cid)
    store.close()
    return ids


def test_a_bare_text_is_a_prompt(cli: Liminal) -> None:
    result = cli("Why is the sky blue?", "-m", "gpt-4o-mini")
    assert result.returncode == 3  # it went to `prompt`, which needs an OpenAI key
    assert "Error [NO_KEY]" in result.stderr


def test_a_misspelled_command_is_still_a_suggestion(cli: Liminal) -> None:
    result = cli("modls")
    assert result.returncode == 2
    assert "Did you mean 'models'?" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("models", "list", "--json"),
        ("models", "default", "--json"),
        ("conversations", "list", "--json"),
        ("keys", "list", "--json"),
        ("plugins", "--json"),
        ("local", "list", "--json"),
        ("openai", "list-models", "--json"),
    ],
)
def test_every_listing_speaks_json(cli: Liminal, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        (("models", "show", "no-such-model", "--json"), "MODEL_NOT_FOUND", 2),
        (("prompt", "-m", "gpt-4o-mini", "--json", "hi"), "NO_KEY", 3),
        (("prompt", "-o", "temperature", "9", "--json", "hi"), "INVALID_REQUEST", 2),
        (("models", "list", "--json", "--bogus"), "INVALID_REQUEST", 2),
    ],
)
def test_with_json_an_error_is_one_json_object(
    cli: Liminal, args: tuple[str, ...], code: str, status: int
) -> None:
    result = cli(*args)
    assert result.returncode == status
    error = json.loads(result.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == code
    assert error["message"]
    assert "hint" in error


def test_conversations_are_searched_filtered_and_counted(cli: Liminal, liminal_home: Path) -> None:
    blue, red, _ = stored(
        liminal_home,
        ("The sky is BLUE", "indeed", "smollm2"),
        ("Roses are red", "yes", "gpt-4o-mini"),
        ("Grass", "green", "smollm2"),
    )

    def ids(*args: str) -> list[str]:
        result = cli("conversations", "list", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [row["id"] for row in json.loads(result.stdout)]

    assert ids("-q", "blue") == [blue]  # case-insensitive, in any message
    assert ids("-m", "gpt-4o-mini") == [red]
    assert len(ids("-n", "2")) == 2
    assert len(ids()) == 3
    empty = cli("conversations", "list", "-q", "nothing like this")
    assert "No conversations matching that" in empty.stderr


def test_a_conversation_is_deleted_only_when_confirmed(cli: Liminal, liminal_home: Path) -> None:
    [cid] = stored(liminal_home, ("hello", "hi", "smollm2"))
    refused = cli("conversations", "delete", cid)  # no terminal to ask on
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    declined = cli("conversations", "delete", cid, stdin="n\n")
    assert cid in json.loads(cli("conversations", "list", "--json").stdout)[0]["id"]
    assert declined.returncode != 0
    deleted = cli("conversations", "delete", cid, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(cli("conversations", "list", "--json").stdout) == []
    unknown = cli("conversations", "delete", cid, "--yes")
    assert unknown.returncode == 2
    assert "Error [INVALID_REQUEST]: no conversation" in unknown.stderr


def test_a_deprecated_default_warns(cli: Liminal) -> None:
    result = cli("models", "default", "gpt-4")
    assert result.returncode == 0
    assert "Warning: gpt-4 is deprecated" in result.stderr
    assert cli("models", "default").stdout.strip() == "gpt-4"


def test_without_a_provider_the_model_list_says_how_to_get_one(cli: Liminal) -> None:
    cli.env["LIMINAL_PLUGINS"] = "none-at-all"
    result = cli("models", "list")
    assert result.returncode == 0
    assert "pip install liminal-openai" in result.stderr


def test_an_empty_declaration_list_says_how_to_add_one(cli: Liminal) -> None:
    result = cli("openai", "list-models")
    assert "liminal openai add-model" in result.stderr


def test_no_log_cannot_continue(cli: Liminal) -> None:
    result = cli("prompt", "--no-log", "-c", "hi")
    assert result.returncode == 2
    assert "--no-log cannot continue" in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tables_fit_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    monkeypatch.setattr(
        "shutil.get_terminal_size", lambda fallback: type("S", (), {"columns": 40})()
    )
    rows = [("ID", "CAPABILITIES"), ("gpt-4o", "streaming,tools,vision,json_schema,system_prompt")]
    output.echo_table(rows, flexible=(1,))
    lines = screen.getvalue().splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[1].endswith("…")
    piped = io.StringIO()
    monkeypatch.setattr("sys.stdout", piped)
    output.echo_table(rows, flexible=(1,))
    assert "system_prompt" in piped.getvalue()  # never cut when piped
