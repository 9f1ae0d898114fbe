"""No key in any output or file but the key file, over a whole session."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .helpers import (
    MODEL,
    PLUGINS,
    key_file,
)

if TYPE_CHECKING:
    from support.faults import Faults

# -- no leaks: a whole session through the console script -------------------------------------


def _windows(secret: str, size: int = 10) -> set[str]:
    """Every ``size``-character piece of ``secret``: a partial leak is a leak too."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


@pytest.mark.integration
def test_no_key_leaks_anywhere_in_a_full_session(
    liminal_home: Path, faults: Faults, tmp_path: Path
) -> None:

    # Not key-shaped (no sk- prefix): redact()'s pattern cannot hide a leak by accident.
    secret = "lmnl-LeakProbe-7f3a9c2e5b1d4e6f8a0b"
    spare = "lmnl-SpareProbe-0c1d2e3f4a5b6c7d8e9f"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(LIMINAL_HOME=str(liminal_home), OPENAI_BASE_URL=faults.base_url)
    env["LIMINAL_PLUGINS"] = PLUGINS
    env.pop("LIMINAL_DISABLE_PLUGINS", None)
    script = Path(sys.executable).with_name("liminal")
    outputs: list[str] = []

    def run(*args: str, stdin: str | None = None, expect: int = 0) -> None:
        done = subprocess.run(
            [str(script), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        outputs.extend([done.stdout, done.stderr])
        assert done.returncode == expect, (args, done.stderr)

    prompt = ("prompt", "-m", MODEL, "-o", "max_tokens", "4")
    run("keys", "set", "openai", stdin=secret)
    run("keys", "add", "openai", "--label", "spare", stdin=spare)
    run(*prompt, "Say hi.")
    run("--debug", *prompt, "--json", "Say hi.")
    faults.error(401, times=2)  # both keys rejected: an error the user sees
    run(*prompt, "Say hi.", expect=3)
    faults.error(401, times=1)
    run("keys", "check", expect=3)
    faults.error(401, times=1)
    run("keys", "check", "--json", expect=3)
    faults.rate_limit(120, times=2)
    run(*prompt, "Say hi.", expect=4)
    run("keys", "list")
    run("keys", "list", "--json")
    run("keys", "rotate", "openai")
    run("keys", "remove", "openai", "--label", "spare")
    run("keys", "path")

    assert any("Error [AUTH_INVALID]" in text for text in outputs)
    assert any("…" + secret[-4:] in text for text in outputs)  # listed by its last four only
    key_path = key_file(liminal_home)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    files = [p for p in liminal_home.rglob("*") if p.is_file() and p != key_path]
    assert any(p.name == "key-state.json" for p in files)
    haystacks = outputs + [p.read_bytes().decode("utf-8", "replace") for p in files]
    for probe in _windows(secret) | _windows(spare):
        for text in haystacks:
            assert probe not in text
