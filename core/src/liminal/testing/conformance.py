"""The checks every provider plugin passes, against a real server of its protocol.

Our own plugins run it against llama.cpp's server; a third-party plugin subclasses
:class:`ProviderConformance` and gives a ``target`` fixture for its own test peer.
The tests are synchronous (``asyncio.run``), so no async pytest plugin is needed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.keys.pool import ApiKeyManager
from liminal.keys.secret import Secret
from liminal.provider.service import Timeouts
from liminal.retry import RetryPolicy
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    KeyStatus,
    Message,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)

__all__ = ["ConformanceTarget", "ProviderConformance"]

T = TypeVar("T")


@attrs.frozen
class ConformanceTarget:
    """Where the suite sends its requests."""

    #: A model id of the plugin, served by the test peer (env vars already point at it).
    model: str
    #: A key the peer accepts, and one it rejects.
    good_key: str
    #: None for a provider that needs no key (the key checks are skipped).
    bad_key: str | None
    #: The module named by the plugin's entry point (it must not import the SDK).
    plugin_module: str
    #: Top-level SDK packages that listing models must not import.
    sdk_modules: tuple[str, ...]
    #: Extra request parameters for every request (e.g. temperature 0, a seed).
    parameters: dict[str, Any] = attrs.field(factory=dict)


def _run(target: ConformanceTarget, key: str, use: Callable[[Any], Awaitable[T]]) -> T:
    """``use(service)`` on the core-wrapped service of the target's model, with ``key``
    first in its pool, in a fresh event loop whose connections are closed at the end."""
    from liminal.config import Config

    async def main() -> T:
        factory = LlmServiceFactory(
            keys=ApiKeyManager(),
            policy=RetryPolicy(max_attempts=1),
            timeouts=Timeouts(connect=5, idle=60, total=120),
            config=Config(),
        )
        service = factory.for_model(target.model)
        factory.keys.set_explicit(service.key_pool(factory.model(target.model)), Secret(key))
        try:
            return await use(service)
        finally:
            await factory.aclose()

    return asyncio.run(main())


def _request(target: ConformanceTarget, text: str = "Say hello.", **parameters: Any) -> ChatRequest:
    return ChatRequest(
        target.model,
        (Message(Role.USER, text),),
        parameters={**target.parameters, **parameters},
    )


def _collect(
    target: ConformanceTarget, request: ChatRequest, key: str | None = None
) -> list[StreamEvent]:
    async def use(service: Any) -> list[StreamEvent]:
        return [event async for event in service.stream(request)]

    return _run(target, key or target.good_key, use)


def _aliases_of(model: str) -> set[str]:
    """The id ``model`` (maybe an alias) resolves to."""
    from liminal.plugins import get_plugins

    return {get_plugins().models.resolve(model).id}


class ProviderConformance:
    """Subclass as ``Test…`` and provide a ``target`` fixture returning a ConformanceTarget."""

    @pytest.fixture
    def target(self) -> ConformanceTarget:
        raise NotImplementedError("provide a `target` fixture in the subclass")

    def test_stream_keeps_the_invariant(self, target: ConformanceTarget) -> None:
        events = _collect(target, _request(target, max_tokens=16))
        texts = [e for e in events if isinstance(e, TextDelta)]
        finishes = [e for e in events if isinstance(e, Finish)]
        assert texts, "a stream must carry text"
        assert all(t.text for t in texts), "no empty TextDelta"
        assert len(finishes) == 1, "exactly one Finish"
        assert events[-1] is finishes[0], "Finish comes last"
        usages = [e for e in events if isinstance(e, Usage)]
        assert usages, "a stream reports its usage"
        assert usages[-1].input > 0
        assert usages[-1].output > 0

    def test_a_small_budget_finishes_with_length(self, target: ConformanceTarget) -> None:
        events = _collect(target, _request(target, "Count from one to fifty.", max_tokens=2))
        assert events[-1] == Finish(FinishReason.LENGTH, events[-1].raw_reason)  # type: ignore[union-attr]

    def test_complete_returns_the_whole_answer(self, target: ConformanceTarget) -> None:
        async def use(service: Any) -> Any:
            return await service.complete(_request(target, max_tokens=8))

        result = _run(target, target.good_key, use)
        assert result.text
        assert result.model in {target.model, *_aliases_of(target.model)}
        assert result.finish_reason in set(FinishReason)
        assert result.usage is not None
        assert result.usage.output > 0

    def test_a_rejected_key_is_auth_invalid(self, target: ConformanceTarget) -> None:
        if target.bad_key is None:
            pytest.skip("the provider needs no key")
        with pytest.raises(LiminalError) as caught:
            _collect(target, _request(target, max_tokens=4), key=target.bad_key)
        assert caught.value.code is ErrorCode.AUTH_INVALID
        assert target.bad_key not in str(caught.value) + repr(caught.value)

    def test_the_good_key_validates(self, target: ConformanceTarget) -> None:
        async def use(service: Any) -> KeyStatus:
            return await service.validate_key(Secret(target.good_key))  # type: ignore[no-any-return]

        assert _run(target, target.good_key, use) is KeyStatus.VALID

    def test_remote_models_are_listed(self, target: ConformanceTarget) -> None:
        async def use(service: Any) -> list[str]:
            return await service.list_remote_models()  # type: ignore[no-any-return]

        ids = _run(target, target.good_key, use)
        assert ids
        assert all(isinstance(i, str) and i for i in ids)

    def test_stopping_early_closes_the_stream(self, target: ConformanceTarget) -> None:
        async def use(service: Any) -> str:
            stream = service.stream(_request(target, "Write a long story.", max_tokens=200))
            async for event in stream:
                if isinstance(event, TextDelta):
                    break
            await stream.aclose()
            # The connection was given back: the next request is answered normally.
            events = [e async for e in service.stream(_request(target, max_tokens=4))]
            return type(events[-1]).__name__

        assert _run(target, target.good_key, use) == "Finish"

    def test_listing_models_imports_no_sdk(self, target: ConformanceTarget) -> None:
        code = (
            f"import sys, importlib; importlib.import_module({target.plugin_module!r}); "
            "from liminal.plugins import get_plugins; list(get_plugins().models); "
            f"print(sorted(m for m in {target.sdk_modules!r} if m in sys.modules))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]", f"imported at start-up: {out.stdout.strip()}"
