"""docs/getting-started.md works as written: its Python examples and the shell blocks marked
``<!-- test: run -->`` run in order on the local model, with no key, in a fresh home."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
TEXT = PAGE.read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.DOTALL)
SHELL_BLOCKS = re.findall(r"<!-- test: run -->\n```bash\n(.*?)```", TEXT, re.DOTALL)
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("LIMINAL_")
    }
    env["LIMINAL_HOME"] = str(home)
    # The `liminal` of this environment, as after `. .venv/bin/activate`.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def test_the_page_has_runnable_blocks() -> None:
    assert PYTHON_BLOCKS
    assert len(SHELL_BLOCKS) >= 4
    assert all("liminal" in block for block in SHELL_BLOCKS)


def test_the_shell_blocks_run_in_order(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for block in SHELL_BLOCKS:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{block}\n{done.stderr}"
        assert done.stdout.strip(), f"{block} printed nothing"
        assert "Error [" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    "code", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_the_python_examples_run(code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
