"""The conversation core: storing as it streams, failed and refused turns, context that
recovers, the model a conversation resumes, and the resolved id reaching the service."""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import ClassVar

import pytest

from liminal import conversation as conversation_module
from liminal.context import calibration
from liminal.conversation import (
    Conversation,
    Refitted,
    Stopped,
    Switched,
    Trimmed,
    overflow_numbers,
)
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.provider.service import ServiceContext
from liminal.store import ConversationStore
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    StreamEvent,
    TextDelta,
    Usage,
)
from support.catalog import catalog_plugins, fake_model, fake_provider

MODULE = "liminal_conversation_test_service"
PROVIDER = fake_provider("script", service=f"{MODULE}:ScriptService", requires_key=False)
PARAMETERS = ("temperature", "max_tokens")
BIG = fake_model(
    "big-1",
    "script",
    context_window=100_000,
    max_output_tokens=1000,
    aliases=("big",),
    parameters=PARAMETERS,
)
SMALL = fake_model(
    "small-1", "script", context_window=300, max_output_tokens=50, parameters=PARAMETERS
)


class ScriptService:
    """Answers every request with ``reply(request)``: a list of events, or an exception."""

    requests: ClassVar[list[ChatRequest]] = []
    reply: ClassVar[Callable[[ChatRequest], list[StreamEvent] | LiminalError]]

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        ScriptService.requests.append(request)
        outcome = ScriptService.reply(request)
        if isinstance(outcome, LiminalError):
            raise outcome
        for event in outcome:
            if isinstance(event, TextDelta) and event.text == "<stall>":
                await asyncio.sleep(0.3)
                continue
            yield event

    async def complete(self, request: ChatRequest) -> ChatResult:
        text = "".join(
            e.text for e in await _collect(self.stream(request)) if isinstance(e, TextDelta)
        )
        return ChatResult(text=text, finish_reason=FinishReason.STOP, model=request.model)


async def _collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


def answer(text: str, usage: Usage | None = Usage(10, 2)) -> list[StreamEvent]:
    events: list[StreamEvent] = [TextDelta(text)]
    if usage is not None:
        events.append(usage)
    return [*events, Finish(FinishReason.STOP, "stop")]


@pytest.fixture(autouse=True)
def service_module(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(MODULE)
    module.ScriptService = ScriptService  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    ScriptService.requests = []
    ScriptService.reply = lambda request: answer("hello")


@pytest.fixture
def factory() -> LlmServiceFactory:
    return LlmServiceFactory(plugins=catalog_plugins(PROVIDER, (BIG, SMALL)))


@pytest.fixture
def store() -> Iterator[ConversationStore]:
    store = ConversationStore.in_memory()
    yield store
    store.close()


def run(conversation: Conversation, text: str, **kwargs: object) -> list[StreamEvent]:
    async def go() -> list[StreamEvent]:
        return await _collect(conversation.stream(text, **kwargs))  # type: ignore[arg-type]

    return asyncio.run(go())


def test_a_turn_is_stored_with_its_answer(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    conversation = Conversation(factory, BIG, store=store)
    assert conversation.id is None  # nothing stored before the first turn
    run(conversation, "hi")
    assert conversation.last is not None
    assert conversation.last.text == "hello"
    stored = store.get(conversation.id or "")
    assert stored.model == "big-1"
    assert [(m.role.value, m.content, m.status) for m in stored.messages] == [
        ("user", "hi", "complete"),
        ("assistant", "hello", "complete"),
    ]


def test_the_service_receives_the_resolved_id(factory: LlmServiceFactory) -> None:
    conversation = Conversation(factory, factory.model("big"))
    run(conversation, "hi")
    assert ScriptService.requests[-1].model == "big-1"
    service = factory.for_model("big")
    asyncio.run(
        _collect(
            service.stream(
                ScriptService.requests[-1].__class__(
                    model="big", messages=ScriptService.requests[-1].messages
                )
            )
        )
    )
    assert ScriptService.requests[-1].model == "big-1"  # the alias never reaches the provider


def test_the_answer_reaches_the_store_while_it_streams(
    factory: LlmServiceFactory, store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation_module, "FLUSH_SECONDS", 0.05)
    ScriptService.reply = lambda request: [
        TextDelta("first part"),
        TextDelta("<stall>"),
        TextDelta(" second part"),
        Finish(FinishReason.STOP),
    ]
    conversation = Conversation(factory, BIG, store=store)
    seen_during: list[str] = []

    async def go() -> None:
        async for event in conversation.stream("hi"):
            if isinstance(event, TextDelta) and event.text == "first part":
                await asyncio.sleep(0.15)  # the timer flushes though no new text arrives
                seen_during.append(store.get(conversation.id or "").messages[-1].content)

    asyncio.run(go())
    assert seen_during == ["first part"]
    assert store.get(conversation.id or "").messages[-1].content == "first part second part"
    assert store.get(conversation.id or "").messages[-1].status == "complete"


def test_a_refused_request_stores_nothing(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    conversation = Conversation(factory, BIG, store=store, parameters={"top_k": 3})
    with pytest.raises(LiminalError) as caught:
        run(conversation, "hi")
    assert caught.value.code is ErrorCode.INVALID_REQUEST
    assert store.list() == []
    assert ScriptService.requests == []


def test_a_failed_turn_is_kept_but_never_sent_again(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    conversation = Conversation(factory, BIG, store=store)
    run(conversation, "first")
    ScriptService.reply = lambda request: LiminalError(ErrorCode.CONTENT_FILTERED, "no")
    with pytest.raises(LiminalError):
        run(conversation, "forbidden")
    ScriptService.reply = lambda request: answer("ok")
    run(conversation, "next")
    sent = [m.content for m in ScriptService.requests[-1].messages]
    assert sent == ["first", "hello", "next"]
    statuses = [(m.content, m.status) for m in conversation.messages()]
    assert ("forbidden", "failed") in statuses


def test_an_interrupted_answer_keeps_what_arrived(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    ScriptService.reply = lambda request: [TextDelta("partial"), TextDelta("<stall>")]
    conversation = Conversation(factory, BIG, store=store)

    async def go() -> None:
        async for event in conversation.stream("hi"):
            if isinstance(event, TextDelta):
                break  # the consumer stops reading

    asyncio.run(go())
    last = store.get(conversation.id or "").messages[-1]
    assert (last.content, last.status) == ("partial", "interrupted")


def test_an_overflow_is_trimmed_by_the_numbers_and_sent_once_more(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    notices: list[object] = []
    conversation = Conversation(factory, SMALL, store=store, on_notice=notices.append)
    ScriptService.reply = lambda request: answer("fine")
    for text in ("one " * 20, "two " * 20):
        run(conversation, text)

    def strict(request: ChatRequest) -> list[StreamEvent] | LiminalError:
        if len(request.messages) > 1:  # the provider counts far more than our estimate
            return LiminalError(
                ErrorCode.CONTEXT_LENGTH_EXCEEDED,
                "request (900 tokens) exceeds the available context size (300 tokens)",
            )
        return answer("recovered")

    ScriptService.reply = strict
    run(conversation, "three")
    assert conversation.last is not None
    assert conversation.last.text == "recovered"
    assert [type(n) for n in notices] == [Refitted]
    refit = notices[0]
    assert isinstance(refit, Refitted)
    assert (refit.needed, refit.limit) == (900, 300)
    assert len(ScriptService.requests[-1].messages) == 1


def test_an_overflow_of_the_new_turn_alone_fails_and_recovers_next_time(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    conversation = Conversation(factory, SMALL, store=store)
    ScriptService.reply = lambda request: LiminalError(
        ErrorCode.CONTEXT_LENGTH_EXCEEDED, "prompt is too long: 832 tokens > 512 maximum"
    )
    with pytest.raises(LiminalError) as caught:
        run(conversation, "a very long turn")
    assert caught.value.code is ErrorCode.CONTEXT_LENGTH_EXCEEDED
    ScriptService.reply = lambda request: answer("ok")
    run(conversation, "ok?")
    assert [m.content for m in ScriptService.requests[-1].messages] == ["ok?"]


def test_history_that_does_not_fit_is_trimmed_and_said(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    notices: list[object] = []
    conversation = Conversation(factory, BIG, store=store, on_notice=notices.append)
    ScriptService.reply = lambda request: answer("fine", usage=None)  # no calibration
    for _ in range(3):
        run(conversation, "word " * 60)
    switched = conversation.switch_model("small-1")
    assert isinstance(switched, Switched)
    assert switched.kept == 6
    assert switched.left_out > 0
    run(conversation, "short")
    trimmed = [n for n in notices if isinstance(n, Trimmed)]
    assert len(trimmed) == 1
    assert trimmed[0].dropped >= switched.left_out  # the new turn needs room too
    assert store.get(conversation.id or "").model == "small-1"


def test_the_estimate_is_calibrated_by_the_providers_counts(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    conversation = Conversation(factory, SMALL, store=store)
    ScriptService.reply = lambda request: answer("x", usage=Usage(400, 1))  # 4x our estimate
    run(conversation, "a" * 60)
    assert calibration(conversation.messages()) == pytest.approx(4.0, rel=0.3)


def test_open_resumes_the_conversations_model_unless_told(
    factory: LlmServiceFactory, store: ConversationStore
) -> None:
    first = Conversation(factory, BIG, store=store)
    run(first, "hi")
    first.switch_model("small-1")
    resumed = Conversation.open(factory, store, continue_latest=True)
    assert resumed.model.id == "small-1"
    assert resumed.id == first.id
    chosen = Conversation.open(factory, store, continue_latest=True, model_name="big")
    assert chosen.model.id == "big-1"
    assert store.get(first.id or "").model == "big-1"


def test_a_cut_answer_is_noticed(factory: LlmServiceFactory) -> None:
    notices: list[object] = []
    ScriptService.reply = lambda request: [TextDelta("abc"), Finish(FinishReason.LENGTH)]
    conversation = Conversation(factory, BIG, on_notice=notices.append)
    run(conversation, "hi")
    assert notices == [Stopped(FinishReason.LENGTH)]
    assert notices[0].describe() == "(the answer stopped at the output limit)"  # type: ignore[attr-defined]


def test_a_dead_writers_streaming_answer_reads_as_interrupted(store: ConversationStore) -> None:
    from liminal.types import Message, Role

    cid = store.new_conversation()
    store.add(cid, Message(Role.USER, "hi"))
    answer_id = store.start_answer(cid, "big-1")
    store.update_answer(answer_id, "par", "streaming")
    assert store.get(cid).messages[-1].status == "streaming"  # ours, alive
    store._db.execute("UPDATE messages SET writer = ? WHERE id = ?", (2**22 + 12345, answer_id))
    assert store.get(cid).messages[-1].status == "interrupted"
    assert store.history(cid)[-1].content == "par"  # what arrived is sent on -c


@pytest.mark.parametrize(
    ("message", "numbers"),
    [
        ("request (832 tokens) exceeds the available context size (512 tokens)", (832, 512)),
        ("prompt is too long: 210,000 tokens > 200,000 maximum", (210000, 200000)),
        (
            "This model's maximum context length is 8192 tokens. However, your messages "
            "resulted in 9000 tokens.",
            (9000, 8192),
        ),
        ("too long", (None, None)),
    ],
)
def test_overflow_numbers(message: str, numbers: tuple[int | None, int | None]) -> None:
    assert overflow_numbers(message) == numbers


@pytest.mark.parametrize("asked", [False, True])
def test_the_services_exact_count_decides_the_fitting_when_asked(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    """The provider says the prompt is far longer than our estimate: with exact counts on,
    the old turns are left out for it (one count per turn); off, the service is never asked."""
    from liminal.config import Config

    counted: list[ChatRequest] = []

    async def count_tokens(self: ScriptService, request: ChatRequest) -> int:
        counted.append(request)
        return 50 * sum(len(m.content) for m in request.messages)

    monkeypatch.setattr(ScriptService, "count_tokens", count_tokens, raising=False)
    factory = LlmServiceFactory(
        plugins=catalog_plugins(PROVIDER, (BIG, SMALL)), config=Config(exact_token_counts=asked)
    )
    notices: list[object] = []
    conversation = Conversation(factory, SMALL, store=store, on_notice=notices.append)
    ScriptService.reply = lambda request: answer("ok", usage=None)
    run(conversation, "one")
    run(conversation, "two")
    trimmed = [n for n in notices if isinstance(n, Trimmed)]
    if asked:
        assert len(counted) == 2  # once per turn, not once per turn considered
        assert [m.content for m in counted[-1].messages] == ["one", "ok", "two"]
        assert trimmed
        assert [m.content for m in ScriptService.requests[-1].messages] == ["two"]
    else:
        assert counted == []
        assert not trimmed
        assert len(ScriptService.requests[-1].messages) == 3


def test_a_failing_count_leaves_the_estimate_to_answer(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liminal.config import Config

    async def count_tokens(self: ScriptService, request: ChatRequest) -> int:
        raise RuntimeError("count-tokens endpoint is down")

    monkeypatch.setattr(ScriptService, "count_tokens", count_tokens, raising=False)
    factory = LlmServiceFactory(
        plugins=catalog_plugins(PROVIDER, (BIG, SMALL)), config=Config(exact_token_counts=True)
    )
    conversation = Conversation(factory, SMALL, store=store)
    run(conversation, "one")
    run(conversation, "two")
    assert len(ScriptService.requests[-1].messages) == 3
