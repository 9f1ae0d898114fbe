"""``liminal keys check``: VALID, INVALID, UNKNOWN against the fault server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from liminal.keys.pool import ApiKeyManager

from .helpers import (
    BACKUP,
    KEY,
    entry,
    liminal,
    listed,
)

if TYPE_CHECKING:
    from support.faults import Faults

# -- check (fault server: llama-server accepts any key on /v1/models) --------------------------


@pytest.mark.integration
def test_check_reports_invalid_with_a_fix_and_exits_3(
    liminal_home: Path, openai_at_faults: Faults
) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    liminal("keys", "add", "openai", "--label", "backup", "--value", BACKUP)
    openai_at_faults.error(401, times=1)  # the first key checked is rejected
    result = liminal("keys", "check", "openai")
    assert result.code == 3
    assert KEY not in result.out + result.err
    assert BACKUP not in result.out + result.err
    rows = {line.split()[1]: line.split()[-1] for line in result.out.splitlines()[1:3]}
    results = sorted(rows.values())
    assert results == ["INVALID", "VALID"]
    rejected = next(label for label, outcome in rows.items() if outcome == "INVALID")
    assert f"keys set openai --label {rejected}" in result.out
    assert f"keys remove openai --label {rejected}" in result.out
    assert result.err.startswith(
        f"Error [AUTH_INVALID]: 1 of 2 keys were rejected: openai/{rejected}"
    )
    statuses = {r["label"]: r["status"] for r in listed()}
    assert statuses[rejected] == "invalid"
    assert openai_at_faults.requests("/v1/models") == 2


@pytest.mark.integration
def test_check_valid_lifts_an_invalid_mark(liminal_home: Path, openai_at_faults: Faults) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    ApiKeyManager().mark_invalid(entry("default", KEY))
    result = liminal("keys", "check", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [
        {
            "provider": "openai",
            "label": "default",
            "last4": "abcd",
            "source": "file",
            "result": "valid",
            "detail": None,
        }
    ]
    assert listed()[0]["status"] == "ready"


@pytest.mark.integration
def test_check_json_invalid(liminal_home: Path, openai_at_faults: Faults) -> None:
    liminal("keys", "set", "openai", "--value", KEY)
    openai_at_faults.error(401, times=1)
    result = liminal("keys", "check", "openai", "--json")
    assert result.code == 3
    (row,) = json.loads(result.out)
    assert row["result"] == "invalid"
    assert "keys set openai --label default" in row["detail"]


def test_check_network_trouble_is_unknown_and_never_blocks(
    liminal_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    liminal("keys", "set", "openai", "--value", KEY)
    result = liminal("keys", "check", "openai")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].split()[-1] == "UNKNOWN"
    assert "could not be reached" in result.out
    assert listed()[0]["status"] == "ready"


def test_check_without_keys_is_no_key() -> None:
    result = liminal("keys", "check", "openai")
    assert result.code == 3
    assert result.err.startswith("Error [NO_KEY]: no API key is configured for openai")
