"""The real ``liminal`` script with the Anthropic plugin: what only Anthropic's errors do.

What every provider's CLI does is in test_providers_cli.py (``at_faults``: the fault server
at ``ANTHROPIC_BASE_URL``, without ``/v1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from support.clirunner import Liminal, error_line
from support.live import ANTHROPIC, only

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = [pytest.mark.integration, only(ANTHROPIC)]


# -- the fault server -----------------------------------------------------------------------


def test_overloaded_retries_are_reported_on_stderr(at_faults: Liminal, faults: Faults) -> None:
    faults.server_error(529, provider="anthropic")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "overloaded: anthropic; retrying in" in result.stderr
    assert faults.requests("/v1/messages") == 2


def test_overloaded_mid_answer_keeps_the_text_and_exits_5(
    at_faults: Liminal, faults: Faults
) -> None:
    faults.overloaded_in_stream(partial_text="Hel")
    result = at_faults("prompt", "-m", "claude-sonnet", "Say hello")
    assert result.returncode == 5
    assert result.stdout == "Hel\n"  # what arrived was printed
    assert error_line(result.stderr).startswith("Error [OVERLOADED]: ")
    assert faults.requests() == 1
