"""Running the real ``liminal`` console script in a subprocess, with a clean environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def liminal_script() -> str:
    beside = Path(sys.executable).parent / "liminal"
    if beside.is_file():
        return str(beside)
    found = shutil.which("liminal")
    if found is None:
        raise RuntimeError("the `liminal` console script is not installed in this environment")
    return found


class Liminal:
    """Runs ``liminal ARGS`` with a clean environment: LIMINAL_HOME plus what a test sets."""

    def __init__(self, home: Path) -> None:
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "ANTHROPIC_", "LIMINAL_"))
        }
        self.env["LIMINAL_HOME"] = str(home)

    def __call__(
        self, *args: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [liminal_script(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )


def error_line(stderr: str) -> str:
    """The ``Error [CODE]: message`` line (other plugins may print warnings before it)."""
    lines = [line for line in stderr.splitlines() if line.startswith("Error [")]
    assert len(lines) == 1, stderr
    return lines[0]
