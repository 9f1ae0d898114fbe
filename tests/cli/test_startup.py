"""Start-up budget: listing models imports no provider SDK (docs/performance.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SDK_PACKAGES = {"openai", "anthropic", "httpx", "httpx2"}
#: The web stack loads only when `liminal ui` runs.
WEB_PACKAGES = {"starlette", "uvicorn", "anyio", "h11"}


def _imported_modules(importtime_stderr: str) -> set[str]:
    modules = set()
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        name = line.rsplit("|", 1)[1].strip()
        if name and name != "imported package":
            modules.add(name)
    return modules


def test_models_list_imports_no_provider_sdk(liminal_home: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LIMINAL_")}
    environ["LIMINAL_HOME"] = str(liminal_home)
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "from liminal.cli import main; main()",
            "models",
            "list",
        ],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = _imported_modules(done.stderr)
    assert "liminal.cli" in modules  # the parse works
    assert "click" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in SDK_PACKAGES | WEB_PACKAGES)
    assert not any(m.startswith("liminal.web") for m in modules)
    assert heavy == [], f"`liminal models list` imported {heavy}"
