"""A rest is capped at an hour, and a request that succeeds with the key ends it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .helpers import KEY, MODEL, liminal, listed

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration


def test_a_huge_retry_after_is_capped_and_success_clears_it(
    liminal_home: Path, openai_at_faults: Faults
) -> None:
    assert liminal("keys", "set", "openai", input=KEY).code == 0
    openai_at_faults.rate_limit(999999)

    limited = liminal("prompt", "-m", MODEL, "-o", "max_tokens", "4", "Say hi")

    assert limited.code == 4, limited.err
    [row] = listed()
    assert row["status"] == "cooling"
    assert 0 < float(row["cooling_seconds"]) <= 3600  # type: ignore[arg-type]

    answered = liminal("prompt", "-m", MODEL, "-o", "max_tokens", "4", "Say hi")

    assert answered.code == 0, answered.err
    [row] = listed()
    assert row["status"] == "ready", row
