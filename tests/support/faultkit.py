"""What the fault tests of every provider share: a fast retry policy, the retry log, the ask."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from liminal import ChatRequest, ErrorCode, Message, Role, TextDelta
from liminal.config import Config
from liminal.factory import LlmServiceFactory
from liminal.plugins import Plugins
from liminal.provider.service import Timeouts
from liminal.retry import RetryNotice, RetryPolicy

#: Attempts per call in the fault tests (the policy is fast: milliseconds between them).
MAX_ATTEMPTS = 3
#: Limits under which a stream that falls silent for half a second times out.
IDLE_HALF_SECOND = Timeouts(connect=2.0, idle=0.5, total=30.0)


class Retries:
    """The retry notices a factory reported, in order."""

    def __init__(self) -> None:
        self.notices: list[RetryNotice] = []

    def __call__(self, notice: RetryNotice) -> None:
        self.notices.append(notice)

    def codes(self) -> list[ErrorCode]:
        return [notice.code for notice in self.notices]


def point_at(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> None:
    """``env`` set, an empty LIMINAL_HOME, and every installed plugin loaded."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIMINAL_HOME", str(home))
    for var in ("LIMINAL_PLUGINS", "LIMINAL_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)


def fast_factory(
    retries: Retries, *, timeouts: Timeouts | None = None, **policy: Any
) -> LlmServiceFactory:
    """A factory with a fast retry policy (``policy`` overrides it) reporting to ``retries``."""
    settings: dict[str, Any] = {
        "max_attempts": MAX_ATTEMPTS,
        "base": 0.01,
        "cap": 0.05,
        "deadline": 20.0,
        "retry_after_cap": 10.0,
    }
    settings.update(policy)
    return LlmServiceFactory(
        plugins=Plugins(),
        policy=RetryPolicy(**settings),
        timeouts=timeouts or Timeouts(connect=2.0, idle=5.0, total=30.0),
        on_retry=retries,
        config=Config(),
    )


def ask(model: str) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, "Say hello"),), parameters={"max_tokens": 50})


def text_of(events: list[object]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))
