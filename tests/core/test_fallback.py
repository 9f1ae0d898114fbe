"""The fallback chain: the next model answers only when the first fails before its first token."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from liminal import hookimpl
from liminal.config import Config
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.fallback import FallbackChain, FallbackNotice
from liminal.plugins import Plugins
from liminal.provider.service import ServiceContext
from liminal.retry import RetryPolicy
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    KeyStatus,
    Message,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)
from support.catalog import fake_model, fake_provider

#: What each scripted provider does: "ok", a code to raise at once, or "mid:<code>".
BEHAVIOUR: dict[str, str] = {}
CALLS: list[str] = []


class ScriptedService:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        CALLS.append(request.model)
        behaviour = BEHAVIOUR[self.context.provider.id]
        if behaviour.startswith("mid:"):
            yield TextDelta("partial ")
            raise LiminalError(ErrorCode(behaviour[4:]), "broke mid-way")
        if behaviour != "ok":
            raise LiminalError(ErrorCode(behaviour), f"{self.context.provider.id} says no")
        yield TextDelta(f"answer from {request.model} with {sorted(request.parameters)}")
        yield Usage(3, 4)
        yield Finish(FinishReason.STOP, "stop")

    async def complete(self, request: ChatRequest) -> ChatResult:
        raise NotImplementedError

    async def validate_key(self, key: Any) -> KeyStatus:
        return KeyStatus.VALID

    async def list_remote_models(self) -> list[str]:
        return []


class TwoProviders:
    @hookimpl
    def liminal_register_providers(self, registry: Any) -> None:
        for name in ("first", "second", "third"):
            registry.add(
                fake_provider(name, service=f"{__name__}:ScriptedService", requires_key=False)
            )

    @hookimpl
    def liminal_register_models(self, registry: Any) -> None:
        registry.add(fake_model("m1", "first", parameters=("temperature", "seed")))
        registry.add(fake_model("m2", "second", parameters=("seed",)))
        registry.add(fake_model("m3", "third", aliases=("three",)))


@pytest.fixture
def factory() -> LlmServiceFactory:
    assert sys.modules[__name__]
    plugins = Plugins(load_entry_points=False)
    plugins.pm.register(TwoProviders())
    CALLS.clear()
    return LlmServiceFactory(plugins=plugins, policy=RetryPolicy(max_attempts=1), config=Config())


def request(**parameters: Any) -> ChatRequest:
    return ChatRequest("m1", (Message(Role.USER, "hi"),), parameters=parameters)


async def collect(chain: FallbackChain, req: ChatRequest) -> str:
    return "".join([e.text async for e in chain.stream(req) if isinstance(e, TextDelta)])


async def test_the_first_model_answers_when_it_can(factory: LlmServiceFactory) -> None:
    BEHAVIOUR.update(first="ok", second="ok", third="ok")
    chain = FallbackChain(factory, ["m2"])
    assert (await collect(chain, request())).startswith("answer from m1")
    assert chain.answered_by == "m1"
    assert CALLS == ["m1"]


async def test_an_outage_moves_to_the_next_model_and_says_so(factory: LlmServiceFactory) -> None:
    BEHAVIOUR.update(first="SERVER_ERROR", second="RATE_LIMITED", third="ok")
    notices: list[FallbackNotice] = []
    chain = FallbackChain(factory, ["m2", "three"], on_fallback=notices.append)
    text = await collect(chain, request(temperature=0.5, seed=1))
    assert text == "answer from m3 with ['seed', 'temperature']"  # m3 takes the common set
    assert chain.answered_by == "m3"
    assert CALLS == ["m1", "m2", "m3"]
    assert [(n.failed, n.next, n.error.code) for n in notices] == [
        ("m1", "m2", ErrorCode.SERVER_ERROR),
        ("m2", "m3", ErrorCode.RATE_LIMITED),
    ]
    # m2 takes seed but not temperature; the notice says what was left out.
    assert notices[0].dropped_parameters == ("temperature",)
    assert "falling back to m2 (without temperature" in notices[0].describe()


async def test_no_fallback_after_the_first_token(factory: LlmServiceFactory) -> None:
    BEHAVIOUR.update(first="mid:NETWORK", second="ok")
    chain = FallbackChain(factory, ["m2"])
    with pytest.raises(LiminalError) as caught:
        await collect(chain, request())
    assert caught.value.code is ErrorCode.STREAM_INTERRUPTED
    assert caught.value.partial_text == "partial "
    assert CALLS == ["m1"]


@pytest.mark.parametrize("code", ["INVALID_REQUEST", "CONTEXT_LENGTH_EXCEEDED", "CONTENT_FILTERED"])
async def test_request_errors_are_not_failed_over(factory: LlmServiceFactory, code: str) -> None:
    BEHAVIOUR.update(first=code, second="ok")
    with pytest.raises(LiminalError) as caught:
        await collect(FallbackChain(factory, ["m2"]), request())
    assert caught.value.code is ErrorCode(code)
    assert CALLS == ["m1"]


async def test_the_last_error_is_raised_when_every_model_fails(
    factory: LlmServiceFactory,
) -> None:
    BEHAVIOUR.update(first="OVERLOADED", second="QUOTA_EXHAUSTED")
    with pytest.raises(LiminalError) as caught:
        await collect(FallbackChain(factory, ["m2"]), request())
    assert caught.value.code is ErrorCode.QUOTA_EXHAUSTED
    assert CALLS == ["m1", "m2"]


def test_unknown_fallback_model_is_refused_up_front(factory: LlmServiceFactory) -> None:
    with pytest.raises(LiminalError) as caught:
        FallbackChain(factory, ["nope"])
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
