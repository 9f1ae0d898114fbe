"""Helpers of the ``liminal keys`` tests: the CLI run in-process, the key file, key entries.

Most tests run the CLI in-process through ``liminal.cli.main`` (exit codes and error lines as
a user sees them). Tests marked ``integration`` talk to the fault server (llmock) on 127.0.0.1;
the leak test runs a whole session through the real console script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from click.testing import CliRunner

from liminal import Secret
from liminal.cli import main
from liminal.keys.pool import KeyEntry, KeySource

if TYPE_CHECKING:
    from support.faults import Faults

KEY = "sk-test-liminal-key-0001-abcd"
BACKUP = "sk-test-liminal-key-0002-wxyz"
MODEL = "gpt-4.1-mini"


#: Only the real provider plugins: fixture plugins other tests install must not add noise.
PLUGINS = "liminal-openai,liminal-anthropic,liminal-local"


@pytest.fixture(autouse=True)
def only_provider_plugins(liminal_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIMINAL_PLUGINS", PLUGINS)


class Ran(NamedTuple):
    code: int
    out: str
    err: str


def liminal(*args: str, input: str | None = None) -> Ran:
    """Run ``liminal ARGS`` in this process, as the console script would."""
    code = 0
    with CliRunner().isolation(input=input) as (out, err, _):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return Ran(code, out.getvalue().decode(), err.getvalue().decode())


def key_file(home: Path) -> Path:
    return home / "keys.json"


def stored(home: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(key_file(home).read_text())
    return data


def listed(provider: str = "openai") -> list[dict[str, object]]:
    result = liminal("keys", "list", "--json")
    assert result.code == 0, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return [row for row in rows if row["provider"] == provider]


def entry(label: str, value: str, provider: str = "openai") -> KeyEntry:
    return KeyEntry(provider, label, Secret(value), KeySource.FILE)


@pytest.fixture
def openai_at_faults(faults: Faults, monkeypatch: pytest.MonkeyPatch) -> Faults:
    monkeypatch.setenv("OPENAI_BASE_URL", faults.base_url)
    return faults
