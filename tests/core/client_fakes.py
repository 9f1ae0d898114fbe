"""A scripted provider service and a harness around ManagedService, for the client tests.

The provider is a fake ``LlmService`` whose every call follows a script: a list of attempts,
each a list of actions (events to yield, exceptions to raise, stalls to sleep).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from liminal.errors import LiminalError
from liminal.keys.pool import ApiKeyManager
from liminal.keys.secret import Secret
from liminal.managed import ManagedService
from liminal.provider.mapping import error_from_exception
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal.provider.service import ServiceContext, Timeouts, current_key
from liminal.retry import RetryNotice, RetryPolicy
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    KeyStatus,
    Message,
    ProviderInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)
from support.catalog import fake_model, fake_provider

KEYLESS = fake_provider(
    "fake", service="tests:FakeService", key_env_var="FAKE_API_KEY", requires_key=False
)
KEYED = attrs.evolve(KEYLESS, requires_key=True)
MODEL = fake_model(
    "fake-1",
    "fake",
    max_output_tokens=1000,
    aliases=("f1",),
    parameters=("temperature", "max_tokens"),
)
EXPLICIT_KEY = "tk-test-explicit-key-0001"
ENV_KEY = "tk-test-environment-key-0002"

# -- the scripted provider -------------------------------------------------------------------


@attrs.frozen
class Stall:
    seconds: float


class FakeAPIStatusError(Exception):
    """Shaped like an SDK's status error: status_code, body, response.headers."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(f"Error code: {status}")
        self.status_code = status
        self.body = body
        self.response = type("Response", (), {"status_code": status, "headers": headers or {}})()


@attrs.frozen
class Raise:
    """Raise a fresh exception each time the action runs."""

    make: Callable[[], BaseException]


def http(status: int, headers: dict[str, str] | None = None, **body: Any) -> Raise:
    return Raise(lambda: FakeAPIStatusError(status, {"error": body} if body else None, headers))


def rejects(key: str) -> Callable[[Secret | None], Raise | None]:
    """A key check: 401 for ``key``."""
    return lambda seen: http(401, type="authentication_error") if seen == Secret(key) else None


OK = [TextDelta("Hello"), TextDelta(", world"), Usage(3, 2), Finish(FinishReason.STOP, "stop")]


class FakeService:
    def __init__(
        self,
        *attempts: list[Any],
        provider: ProviderInfo = KEYLESS,
        key_check: Callable[[Secret | None], Raise | None] | None = None,
        result: ChatResult | None = None,
    ) -> None:
        self.attempts = list(attempts) or [OK]
        self.key_check = key_check
        self.result = result or ChatResult(
            text="done", finish_reason=FinishReason.STOP, model=MODEL.id
        )
        self.calls = 0
        self.closed = 0
        self.keys_seen: list[Secret | None] = []
        self.api_keys_seen: list[str] = []
        registry = ProviderRegistry()
        registry.add(provider)
        self.context = ServiceContext(
            provider=provider, timeouts=Timeouts(), model_info=lambda _: MODEL
        )

    def _attempt(self) -> list[Any]:
        self.calls += 1
        return self.attempts[min(self.calls, len(self.attempts)) - 1]

    async def _observe_key(self) -> None:
        seen = current_key()
        self.keys_seen.append(seen)
        self.api_keys_seen.append(await self.context.api_key())
        if self.key_check is not None:
            rejection = self.key_check(seen)
            if rejection is not None:
                raise rejection.make()

    async def _play(self, actions: list[Any]) -> AsyncIterator[StreamEvent]:
        """One attempt's script: the key is looked at, then each action raises, stalls or is
        an event."""
        await self._observe_key()
        for action in actions:
            if isinstance(action, Raise):
                raise action.make()
            if isinstance(action, Stall):
                await asyncio.sleep(action.seconds)
                continue
            yield action

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        actions = self._attempt()
        try:
            async with contextlib.aclosing(self._play(actions)) as events:
                async for event in events:
                    yield event
        finally:
            self.closed += 1

    async def complete(self, request: ChatRequest) -> ChatResult:
        async with contextlib.aclosing(self._play(self._attempt())) as events:
            async for _ in events:
                pass  # a whole answer: the events are not handed out
        return self.result

    async def validate_key(self, key: Secret) -> KeyStatus:
        for action in self._attempt():
            if isinstance(action, Raise):
                raise action.make()
        return KeyStatus.VALID

    async def list_remote_models(self) -> list[str]:
        for action in self._attempt():
            if isinstance(action, Raise):
                raise action.make()
        return ["fake-1", "fake-2"]


# -- the service under test -------------------------------------------------------------------


@attrs.define
class Harness:
    managed: ManagedService
    service: FakeService
    sleeps: list[float]
    notices: list[RetryNotice]
    keys: ApiKeyManager


def harness(
    service: FakeService,
    *,
    provider: ProviderInfo = KEYLESS,
    policy: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    keys: ApiKeyManager | None = None,
) -> Harness:
    providers = ProviderRegistry()
    providers.add(provider)
    models = ModelRegistry(providers)
    models.add(MODEL)
    sleeps: list[float] = []
    notices: list[RetryNotice] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    keys = keys or ApiKeyManager()
    managed = ManagedService(
        provider=provider,
        service=service,
        resolve=models.resolve,
        map_error=lambda pid, exc: error_from_exception(exc, provider=pid),
        keys=keys,
        policy=policy or RetryPolicy(max_attempts=3),
        timeouts=timeouts,
        on_retry=notices.append,
        sleep=fake_sleep,
    )
    return Harness(managed, service, sleeps, notices, keys)


def request(**changes: Any) -> ChatRequest:
    fields: dict[str, Any] = {"model": "fake-1", "messages": (Message(Role.USER, "hi"),)}
    fields.update(changes)
    return ChatRequest(**fields)


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def failure(stream: AsyncIterator[StreamEvent], into: list[StreamEvent]) -> LiminalError:
    with pytest.raises(LiminalError) as caught:  # noqa: PT012 - the error ends the iteration
        async for event in stream:
            into.append(event)
    return caught.value


def assert_invariant(events: list[StreamEvent]) -> None:
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(finishes) == 1, events
    assert isinstance(events[-1], Finish), events


def two_keys(monkeypatch: pytest.MonkeyPatch) -> ApiKeyManager:
    """An explicit key, then one from the environment."""
    monkeypatch.setenv("FAKE_API_KEY", ENV_KEY)
    return ApiKeyManager({"fake": Secret(EXPLICIT_KEY)})
