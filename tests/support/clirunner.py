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
        self, *args: str, stdin: str | bytes | None = None, timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run it, ``env`` added for this run; ``stdin`` as bytes is sent as is (not UTF-8)."""
        done = subprocess.run(
            [liminal_script(), *args],
            input=stdin.encode() if isinstance(stdin, str) else stdin,
            capture_output=True,
            env={**self.env, **env},
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            done.args,
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
        )


def error_line(stderr: str) -> str:
    """The ``Error [CODE]: message`` line (other plugins may print warnings before it)."""
    lines = [line for line in stderr.splitlines() if line.startswith("Error [")]
    assert len(lines) == 1, stderr
    return lines[0]
