"""docs/cli.md is exactly what the commands print for ``--help``: regenerate it, never edit it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.clirunner import Liminal

DOCS = Path(__file__).resolve().parents[2] / "docs"
FIX = "the CLI changed: run `python docs/gen_cli.py` and commit docs/cli.md"
PAGE = (DOCS / "cli.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^## `(liminal[^`]*)`\n\n```text\n(.*?)\n```$", PAGE, re.DOTALL | re.MULTILINE)


def test_the_page_is_what_the_generator_writes(tmp_path: Path) -> None:
    # In a fresh process: plugins that other tests register in this one must not show.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMINAL_")}
    env["LIMINAL_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(DOCS / "gen_cli.py"), "--stdout"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout == PAGE, FIX


def test_every_command_has_a_section() -> None:
    names = {name for name, _ in BLOCKS}
    for expected in ("liminal", "liminal prompt", "liminal models list", "liminal keys set"):
        assert expected in names


@pytest.mark.parametrize(("name", "block"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_each_block_is_the_commands_own_help(name: str, block: str, tmp_path: Path) -> None:
    run = Liminal(tmp_path)
    run.env["COLUMNS"] = "80"
    done = run(*name.split()[1:], "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip() == block, FIX
