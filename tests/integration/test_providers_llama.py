"""Every cloud provider plugin against a real engine: llama-server with SmolLM2 on 127.0.0.1.

Each test runs once per provider (``live``: OpenAI through /v1/chat/completions, Anthropic
through /v1/messages); the server answers whatever model name it is sent. What only one
protocol does is in test_openai_llama.py and test_anthropic_llama.py. Asserts protocol facts
(events, usage, finish reasons, error codes, connections), never the model's words.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest

from liminal import (
    ChatRequest,
    ErrorCode,
    Finish,
    FinishReason,
    KeyStatus,
    LiminalError,
    Secret,
    TextDelta,
)
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from support.live import (
    ANTHROPIC,
    LONG_STORY,
    MAX_TOKENS,
    OPENAI,
    OVERFLOW,
    LiveProvider,
    Traffic,
    answer,
    ask,
    check_stream,
    collect,
    ending,
    slots_idle,
)
from support.streams import cancel_after_first_text

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

#: Anthropic: one id per kind: the newest alias (no sampling parameters), a model with
#: sampling parameters, a dated id through its alias, a deprecated model with a small output
#: limit. OpenAI: every catalog model.
ANTHROPIC_KINDS = (
    "claude-sonnet",
    "claude-opus-4-6",
    "claude-haiku-4-5",
    "claude-3-5-haiku-20241022",
)
CATALOG = [
    *((OPENAI, m.id) for m in OPENAI.catalog()),
    *((ANTHROPIC, m) for m in ANTHROPIC_KINDS),
]
each_catalog_model = pytest.mark.parametrize(
    ("live", "model_id"), CATALOG, indirect=["live"], ids=lambda v: getattr(v, "id", v)
)

each_catalog_model = pytest.mark.parametrize(
    ("live", "model_id"), CATALOG, indirect=["live"], ids=lambda v: getattr(v, "id", v)
)


def streamed(streaming: bool) -> str:
    return "stream" if streaming else "complete"


# -- catalog models, streaming and not ------------------------------------------------------


@each_catalog_model
async def test_stream_catalog_models(
    live: LiveProvider, service: ManagedService, traffic: Traffic, model_id: str
) -> None:
    model = live.catalog_model(model_id)
    events = await collect(service, ask(model_id, **live.parameters_for(model)))
    finish, usage = check_stream(events, sampled=live.sampled(model))
    assert finish.reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert finish.raw_reason in (live.raw_length, live.raw_stop)
    if usage.output < MAX_TOKENS:
        assert finish.reason is FinishReason.STOP
    body = traffic.body()
    assert body["model"] == model.id
    assert body[live.token_field(model)] == MAX_TOKENS
    assert body["stream"] is True
    assert ("temperature" in body) is ("temperature" in model.parameters)
    assert traffic.chat_requests()[0].headers["authorization"].startswith("Bearer ")
    assert await traffic.all_closed()


@each_catalog_model
async def test_complete_catalog_models(
    live: LiveProvider, service: ManagedService, traffic: Traffic, model_id: str
) -> None:
    model = live.catalog_model(model_id)
    result = await service.complete(ask(model_id, **live.parameters_for(model)))
    assert result.model == model.id
    assert result.text
    assert result.usage is not None
    assert result.usage.input > 0
    assert 0 < result.usage.output <= MAX_TOKENS
    assert result.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert result.raw_finish_reason in (live.raw_length, live.raw_stop)
    assert "stream" not in traffic.body()


# -- finish reasons --------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=streamed)
async def test_a_small_max_tokens_finishes_with_length(
    live: LiveProvider, service: ManagedService, streaming: bool
) -> None:
    request = ask(live.model, LONG_STORY, temperature=0, max_tokens=1)
    finish, usage = await ending(service, request, streaming=streaming)
    assert (finish, usage.output) == (Finish(FinishReason.LENGTH, live.raw_length), 1)


@pytest.mark.parametrize("streaming", [True, False], ids=streamed)
async def test_a_finished_answer_stops(
    live: LiveProvider, service: ManagedService, streaming: bool
) -> None:
    request = ask(live.model, "Say hello.", temperature=0, max_tokens=200)
    finish, usage = await ending(service, request, streaming=streaming)
    assert finish == Finish(FinishReason.STOP, live.raw_stop)
    assert usage.output < 200


# -- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=streamed)
async def test_a_wrong_key_is_auth_invalid_and_not_retried(
    live: LiveProvider,
    service: ManagedService,
    traffic: Traffic,
    monkeypatch: pytest.MonkeyPatch,
    streaming: bool,
) -> None:
    monkeypatch.setenv(live.key_env, live.wrong_key)
    with pytest.raises(LiminalError) as caught:
        await answer(service, ask(live.model, temperature=0, max_tokens=2), streaming=streaming)
    error = caught.value
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.status == 401
    assert error.exit_code == 3
    assert live.wrong_key not in str(error)
    assert live.wrong_key not in repr(error)
    assert len(traffic.chat_requests()) == 1
    assert traffic.chat_requests()[0].headers["authorization"] == f"Bearer {live.wrong_key}"


async def test_the_second_key_works_too(
    live: LiveProvider,
    service: ManagedService,
    llama_server: LlamaServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(live.key_env, llama_server.api_keys[1])
    result = await service.complete(ask(live.model, temperature=0, max_tokens=2))
    assert result.usage is not None


async def test_an_explicit_key_wins_over_the_environment(
    live: LiveProvider, traffic: Traffic, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(live.key_env, live.wrong_key)
    service = live.managed(traffic, ApiKeyManager({live.id: Secret(llama_server.api_keys[1])}))
    await service.complete(ask(live.model, temperature=0, max_tokens=2))
    sent = [r.headers["authorization"] for r in traffic.chat_requests()]
    assert sent == [f"Bearer {llama_server.api_keys[1]}"]


async def test_a_rejected_key_falls_through_to_the_next(
    live: LiveProvider, traffic: Traffic, llama_server: LlamaServer
) -> None:
    revoked = f"{live.wrong_key}-revoked"
    service = live.managed(traffic, ApiKeyManager({live.id: Secret(revoked)}))
    # then the environment's key (K1)
    check_stream(await collect(service, ask(live.model, temperature=0, max_tokens=2)), 2)
    sent = [r.headers["authorization"] for r in traffic.chat_requests()]
    assert sent == [f"Bearer {revoked}", f"Bearer {llama_server.api_key}"]


async def test_validate_key_and_list_remote_models(
    service: ManagedService, llama_server: LlamaServer
) -> None:
    assert await service.validate_key(Secret(llama_server.api_key)) is KeyStatus.VALID
    # llama-server serves /v1/models without checking the key, so a wrong key cannot be told
    # apart there; INVALID is covered against a fake transport in the unit tests.
    assert await service.list_remote_models() == [llama_server.alias]


# -- context overflow -----------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False], ids=streamed)
async def test_a_prompt_over_the_context_is_context_length_exceeded(
    live: LiveProvider, service: ManagedService, traffic: Traffic, streaming: bool
) -> None:
    with pytest.raises(LiminalError) as caught:
        await answer(service, ask(live.model, OVERFLOW, max_tokens=4), streaming=streaming)
    assert caught.value.code is ErrorCode.CONTEXT_LENGTH_EXCEEDED
    assert caught.value.status == 400
    assert caught.value.exit_code == 6
    assert len(traffic.chat_requests()) == 1


# -- leaving early ----------------------------------------------------------------------------


def long_story(live: LiveProvider) -> ChatRequest:
    return ask(live.model, LONG_STORY, temperature=0, max_tokens=1500)


async def test_leaving_the_stream_early_closes_it(
    live: LiveProvider, service: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    texts = 0
    async with contextlib.aclosing(service.stream(long_story(live))) as events:
        async for event in events:
            if isinstance(event, TextDelta):
                texts += 1
                if texts == 3:
                    break
    assert texts == 3
    assert await traffic.all_closed(within=0.5)
    assert await slots_idle(llama_server)
    again = await service.complete(ask(live.model, temperature=0, max_tokens=2))
    assert again.usage is not None


async def test_breaking_out_without_closing_still_closes_the_stream(
    live: LiveProvider, service: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    async for event in service.stream(long_story(live)):
        if isinstance(event, TextDelta):
            break
    # The abandoned generator is finalised by the event loop's async-generator hooks.
    assert await traffic.all_closed()
    assert await slots_idle(llama_server)


async def test_cancelling_the_task_closes_the_stream(
    live: LiveProvider, service: ManagedService, traffic: Traffic, llama_server: LlamaServer
) -> None:
    received = await cancel_after_first_text(service.stream(long_story(live)), within=30)
    assert received
    assert await traffic.all_closed()
    assert await slots_idle(llama_server)
    events = await collect(service, ask(live.model, temperature=0, max_tokens=2))
    check_stream(events, max_tokens=2)
    assert len(traffic.chat_requests()) == 2
