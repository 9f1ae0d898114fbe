"""After a realistic session, every directory under LIMINAL_HOME is 0700 and every file 0600."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("llama_server"),  # the engine's own error, at once, if it cannot run
]

PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


def test_every_file_of_a_session_is_private(tmp_path: Path, faults: Faults) -> None:
    home = tmp_path / "home"
    cli = Liminal(home)
    cli.env.update(LIMINAL_PLUGINS=PLUGINS, OPENAI_BASE_URL=faults.base_url)
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")  # registering does not read it
    steps = [
        (("prompt", "-m", "smollm2", "-o", "max_tokens", "4", "Say hi"), None),
        (("keys", "set", "openai"), "sk-private-session-key-0001"),
        (("prompt", "-m", "gpt-4.1-mini", "-o", "max_tokens", "4", "Say hi"), None),
        (("models", "default", "smollm2"), None),
        (("local", "add", str(gguf), "--name", "mine"), None),
        (("openai", "add-model", "qwen", "--base-url", "http://127.0.0.1:9/v1"), None),
        (("models", "list"), None),
        (("conversations", "list"), None),
        (("keys", "list"), None),
    ]
    for args, stdin in steps:
        result = cli(*args, stdin=stdin, timeout=180)
        assert result.returncode == 0, (args, result.stderr)
    faults.rate_limit(120)  # a resting key: key-state.json is written
    assert cli("prompt", "-m", "gpt-4.1-mini", "Say hi").returncode == 4

    entries = [home, *home.rglob("*")]
    assert {p.name for p in entries} >= {
        "conversations.db",
        "keys.json",
        "key-state.json",
        "preferences.json",
        "local-models.json",
        "openai-compatible.json",
        "models.json",
    }
    loose = {
        str(p.relative_to(tmp_path)): f"{stat.S_IMODE(p.lstat().st_mode):o}"
        for p in entries
        if stat.S_IMODE(p.lstat().st_mode) != (0o700 if p.is_dir() else 0o600)
    }
    assert loose == {}
