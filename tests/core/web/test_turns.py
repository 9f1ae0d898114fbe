"""Turns as Server-Sent Events, in process on a scripted provider: the events of a turn,
retry and fallback notices as they happen, Stop, a browser that goes away, and errors."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar

import pytest

from liminal.config import Config
from liminal.conversation import Conversation
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.provider.service import ServiceContext
from liminal.retry import RetryPolicy
from liminal.store import ConversationStore
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    StreamEvent,
    TextDelta,
    Usage,
)
from liminal.web.turns import Turns, report_progress, report_retry
from support.catalog import catalog_plugins, fake_model, fake_provider

MODULE = "liminal_web_turns_test_service"
PROVIDER = fake_provider("script", service=f"{MODULE}:ScriptService", requires_key=False)
MODELS = [fake_model(name, "script", context_window=10_000) for name in ("main", "backup")]
Reply = Callable[[ChatRequest, int], list[StreamEvent] | LiminalError]


class ScriptService:
    """``reply(request, attempt)``: the events to stream or the error to raise; ``"<wait>"``
    waits until ``release`` is set (an answer that goes on until stopped)."""

    reply: ClassVar[Reply]
    attempts: ClassVar[list[str]] = []
    release: ClassVar[asyncio.Event | None] = None

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        ScriptService.attempts.append(request.model)
        outcome = ScriptService.reply(request, len(ScriptService.attempts))
        if isinstance(outcome, LiminalError):
            raise outcome
        for event in outcome:
            if isinstance(event, TextDelta) and event.text == "<wait>":
                assert ScriptService.release is not None
                await ScriptService.release.wait()
                continue
            yield event


def answer(*texts: str) -> list[StreamEvent]:
    return [*(TextDelta(t) for t in texts), Usage(5, 2), Finish(FinishReason.STOP, "stop")]


@pytest.fixture(autouse=True)
def service_module(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(MODULE)
    module.ScriptService = ScriptService  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    ScriptService.attempts = []
    ScriptService.reply = lambda request, attempt: answer("Hel", "lo")


@pytest.fixture
def store() -> Iterator[ConversationStore]:
    store = ConversationStore.in_memory()
    yield store
    store.close()


def make_factory(**config: Any) -> LlmServiceFactory:
    return LlmServiceFactory(
        plugins=catalog_plugins(PROVIDER, MODELS),
        policy=RetryPolicy(max_attempts=3, base=0.001, cap=0.001),
        config=Config(**config),
        on_retry=report_retry,
        on_progress=report_progress,
    )


def parse(chunk: bytes) -> tuple[str, dict[str, Any]]:
    head, data = chunk.decode().rstrip("\n").split("\n")
    return head.removeprefix("event: "), json.loads(data.removeprefix("data: "))


async def events_of(turns: Turns, conversation: Conversation, text: str = "hi") -> list[Any]:
    return [parse(chunk) async for chunk in turns.stream(conversation, text, {})]


def test_a_turn_streams_start_deltas_and_done(store: ConversationStore) -> None:
    conversation = Conversation(make_factory(), MODELS[0], store=store)
    events = asyncio.run(events_of(Turns(), conversation))
    assert [name for name, _ in events] == ["start", "delta", "delta", "done"]
    assert events[0][1]["model"] == "main"
    assert [data["text"] for name, data in events if name == "delta"] == ["Hel", "lo"]
    done = events[-1][1]
    assert done == {
        "cid": conversation.id,
        "model": "main",
        "finish_reason": "stop",
        "usage": {"input": 5, "output": 2},
    }
    assert [m.status for m in store.get(done["cid"]).messages] == ["complete", "complete"]


def test_a_retry_is_reported_to_the_turn_as_it_happens(store: ConversationStore) -> None:
    overloaded = LiminalError(ErrorCode.OVERLOADED, "busy", provider="script")
    ScriptService.reply = lambda request, attempt: overloaded if attempt == 1 else answer("ok")
    conversation = Conversation(make_factory(), MODELS[0], store=store)
    events = asyncio.run(events_of(Turns(), conversation))
    names = [name for name, _ in events]
    assert names == ["start", "notice", "delta", "done"]
    notice = events[1][1]
    assert notice["kind"] == "retry"
    assert notice["text"].startswith("overloaded: script; retrying in ")
    assert notice["text"].endswith("(attempt 2 of 3)")


def test_a_fallback_is_reported_and_the_answer_names_its_model(store: ConversationStore) -> None:
    refused = LiminalError(ErrorCode.AUTH_INVALID, "bad key", provider="script")
    ScriptService.reply = lambda request, attempt: (
        refused if request.model == "main" else answer("from backup")
    )
    conversation = Conversation(make_factory(), MODELS[0], store=store, fallbacks=("backup",))
    events = asyncio.run(events_of(Turns(), conversation))
    notices = [data["text"] for name, data in events if name == "notice"]
    assert notices[0].startswith("main failed (AUTH_INVALID: bad key); falling back to backup")
    assert "(answered by backup)" in notices
    assert events[-1] == ("done", {**events[-1][1], "model": "backup"})


def test_an_error_has_code_message_and_hint(store: ConversationStore) -> None:
    ScriptService.reply = lambda request, attempt: LiminalError(
        ErrorCode.CONTEXT_LENGTH_EXCEEDED, "too long", hint="shorten it"
    )
    conversation = Conversation(make_factory(), MODELS[0], store=store)
    events = asyncio.run(events_of(Turns(), conversation))
    assert events[-1] == (
        "error",
        {
            "code": "CONTEXT_LENGTH_EXCEEDED",
            "message": "too long",
            "hint": "shorten it",
            "cid": conversation.id,
            "partial": False,
        },
    )


def test_an_unexpected_failure_is_unknown_without_a_traceback(store: ConversationStore) -> None:
    def broken(request: ChatRequest, attempt: int) -> list[StreamEvent]:
        raise ZeroDivisionError("division by zero")

    ScriptService.reply = broken
    conversation = Conversation(make_factory(), MODELS[0], store=store)
    events = asyncio.run(events_of(Turns(), conversation))
    name, data = events[-1]
    assert name == "error"
    assert data["code"] == "UNKNOWN"
    assert "Traceback" not in data["message"]


def test_stop_ends_the_answer_and_keeps_what_arrived(store: ConversationStore) -> None:
    ScriptService.reply = lambda request, attempt: answer("Once upon", "<wait>", " a time")
    conversation = Conversation(make_factory(), MODELS[0], store=store)
    turns = Turns()

    async def go() -> list[Any]:
        ScriptService.release = asyncio.Event()  # never set: the answer waits until stopped
        events = []
        async for chunk in turns.stream(conversation, "Tell a story", {}):
            events.append(parse(chunk))
            if events[-1][0] == "delta":
                assert turns.stop(events[0][1]["turn"]) is True
        assert turns.stop(events[0][1]["turn"]) is False  # over: nothing left to stop
        return events

    events = asyncio.run(asyncio.wait_for(go(), 10))
    assert [name for name, _ in events] == ["start", "delta", "stopped"]
    assert events[-1][1] == {"cid": conversation.id, "model": "main"}
    messages = store.get(events[-1][1]["cid"]).messages
    assert [(m.content, m.status) for m in messages] == [
        ("Tell a story", "complete"),
        ("Once upon", "interrupted"),
    ]


def test_a_browser_that_goes_away_stops_the_answer(store: ConversationStore) -> None:
    ScriptService.reply = lambda request, attempt: answer("Once upon", "<wait>", " a time")
    conversation = Conversation(make_factory(), MODELS[0], store=store)

    async def go() -> None:
        ScriptService.release = asyncio.Event()
        stream = Turns().stream(conversation, "Tell a story", {})
        async for chunk in stream:
            if parse(chunk)[0] == "delta":
                break
        await stream.aclose()  # what Starlette does when the client disconnects

    asyncio.run(asyncio.wait_for(go(), 10))
    assert conversation.id is not None
    assert [m.status for m in store.get(conversation.id).messages] == ["complete", "interrupted"]
