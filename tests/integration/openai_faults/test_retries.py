"""OpenAI against the fault server: 429 and Retry-After, quota, 5xx; exact request counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openai as _sdk  # noqa: F401  # imported now: no timed call pays for its first import
import pytest

from liminal import (
    ChatResult,
    FinishReason,
)
from liminal.managed import ManagedService
from support.faultkit import Retries

from .helpers import (
    CHAT,
    ask,
    assert_complete_stream,
    streamed,
)

if TYPE_CHECKING:
    from support.faults import Faults

pytestmark = pytest.mark.integration

# -- unscripted: the fault server answers like OpenAI -----------------------------------------


async def test_unscripted_stream_and_complete(openai: ManagedService, faults: Faults) -> None:
    assert_complete_stream(await streamed(openai))
    result = await openai.complete(ask())
    assert isinstance(result, ChatResult)
    assert result.text
    assert result.finish_reason is FinishReason.STOP
    assert result.usage is not None
    assert faults.requests(CHAT) == 2


async def test_list_remote_models_from_the_mock(openai: ManagedService, faults: Faults) -> None:
    ids = await openai.list_remote_models()
    assert "gpt-4o" in ids
    assert faults.requests("/v1/models") == 1


# -- 429 and Retry-After ------------------------------------------------------------------------


async def test_429_without_retry_after_backs_off_and_retries(
    openai: ManagedService, faults: Faults, retries: Retries
) -> None:
    faults.rate_limit(None)
    assert (await openai.complete(ask())).text
    assert faults.requests(CHAT) == 2
    [notice] = retries.notices
    assert 0 <= notice.delay <= 0.05  # full jitter under the policy's small cap
