"""``liminal chat`` on a real terminal (pexpect): line editing, history, pasted blocks as one
turn, completion, /models with every model, a warning for a model with no key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]

LIMINAL = str(Path(sys.executable).with_name("liminal"))
#: A new prompt: prompt_toolkit turns bracketed paste on as each prompt starts (redraws of a
#: prompt being typed into do not repeat it).
PROMPT = r"\x1b\[\?2004h"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    # A terminal that does not answer cursor-position requests: prompt_toolkit need not ask.
    clean.update(LIMINAL_HOME=str(tmp_path), TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    return clean


@pytest.fixture
def chat(env: dict[str, str]) -> Iterator[pexpect.spawn]:
    args = ["chat", "-o", "max_tokens", "8", "-o", "temperature", "0"]
    child = pexpect.spawn(
        LIMINAL, args, env=env, encoding="utf-8", timeout=120, dimensions=(40, 200)
    )
    try:
        child.expect(PROMPT)
        yield child
    finally:
        child.close(force=True)


def user_turns(env: dict[str, str]) -> list[str]:
    listed = subprocess.run(
        [LIMINAL, "conversations", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    [conversation] = json.loads(listed.stdout)
    shown = subprocess.run(
        [LIMINAL, "conversations", "show", conversation["id"], "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [m["content"] for m in json.loads(shown.stdout)["messages"] if m["role"] == "user"]


def test_up_arrow_recalls_and_a_pasted_block_is_one_turn(
    chat: pexpect.spawn, env: dict[str, str], tmp_path: Path
) -> None:
    chat.send("Say hi\r")
    chat.expect(PROMPT)
    chat.send("\x1b[A")  # up arrow: the previous line comes back
    chat.expect("Say hi")
    chat.send("\r")
    chat.expect(PROMPT)
    chat.send("\x1b[200~line one\nline two\nline three\x1b[201~")  # a bracketed paste
    chat.send("\r")
    chat.expect(PROMPT)
    chat.sendcontrol("d")
    chat.expect(pexpect.EOF)
    assert user_turns(env) == ["Say hi", "Say hi", "line one\nline two\nline three"]
    history = tmp_path / "chat-history"
    assert history.stat().st_mode & 0o777 == 0o600
    assert "Say hi" in history.read_text()


def test_model_ids_complete_and_every_model_is_listed(chat: pexpect.spawn) -> None:
    chat.send("/model smol\t")
    chat.expect("lm2")  # completed to smollm2
    chat.send("\r")
    chat.expect("Switched to smollm2")
    chat.expect(PROMPT)
    chat.send("/models\r")
    chat.expect(r"gpt-4-turbo \(deprecated\)  \(128,000 tokens")  # deprecated ones are shown
    chat.expect(PROMPT)
    chat.send("/model gpt-4o-mini\r")
    chat.expect(r"Warning: no API key for gpt-4o-mini yet; run `liminal keys set openai`")
    chat.expect(PROMPT)
    chat.send("/help\r")
    chat.expect("/multi")
    chat.expect(PROMPT)
    chat.send("/exit\r")
    chat.expect(pexpect.EOF)


def test_ctrl_c_at_the_prompt_clears_the_line(chat: pexpect.spawn, env: dict[str, str]) -> None:
    chat.send("never sent")
    chat.sendcontrol("c")
    chat.expect(PROMPT)
    chat.send("Say hi\r")
    chat.expect(PROMPT)
    chat.sendcontrol("d")
    chat.expect(pexpect.EOF)
    assert user_turns(env) == ["Say hi"]
