"""The Python example of docs/keys.md runs as it is, with the public API only, no network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "keys.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_example_runs_and_prints_the_explicit_key(tmp_path: Path) -> None:
    (code,) = BLOCKS
    assert "liminal.keys.file" not in code  # internal: the page must not teach it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIMINAL_", "OPENAI_"))}
    env["LIMINAL_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["explicit explicit ready"]
