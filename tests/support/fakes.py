"""The fake API (an httpx2 MockTransport behind the real SDK) of each provider plugin, by id."""

from __future__ import annotations

from support import anthropic_fakes, openai_fakes
from support.fakeapi import FakeApi

FAKES: dict[str, type[FakeApi]] = {
    "openai": openai_fakes.MockApi,
    "anthropic": anthropic_fakes.MockApi,
}
