"""A conversation: the turn every renderer runs (the CLI's ``prompt`` and ``chat``, a UI, the
Python API). It owns the model (switchable, history kept), the system prompt, the options,
the fallback chain, fitting the history into the model's window, and storing.

Renderers print; this module never does. What a person may want to know (messages left out
to fit the window, another model answering, an answer cut at its limit) is reported as a
notice through ``on_notice``, and logged.

    conversation = Conversation(factory, factory.model("smollm2"))
    async for event in conversation.stream("Hello"):
        ...
    conversation.last.text
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import attrs

from liminal.context import CALIBRATION, calibration, estimate_tokens, fit_history, overflow_numbers
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.fallback import FallbackChain
from liminal.notices import AnsweredBy, Notice, Refitted, Stopped, Switched, Trimmed
from liminal.store import ConversationStore, StoredMessage, sendable
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)

__all__ = [
    "Answer",
    "AnsweredBy",
    "Conversation",
    "Notice",
    "Refitted",
    "Stopped",
    "Switched",
    "Trimmed",
]

log = logging.getLogger("liminal.conversation")

#: How often a streaming answer is written to the store: a hard kill loses at most this much.
FLUSH_SECONDS = 0.25
#: Failures that happen before anything is sent: the turn is not stored at all.
REFUSED = frozenset({ErrorCode.INVALID_REQUEST, ErrorCode.MODEL_NOT_FOUND, ErrorCode.NO_KEY})
#: Finish reasons that mean the answer was cut short.
_CUT = (FinishReason.LENGTH, FinishReason.CONTEXT_WINDOW)


@attrs.frozen
class Answer:
    """One finished answer."""

    text: str
    #: The model that answered (a fallback's, when the asked one failed).
    model: str
    finish: Finish | None
    usage: Usage | None
    conversation_id: str | None
    request_id: str | None = None

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.finish.reason if self.finish is not None else None

    def as_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` form."""
        return {
            "text": self.text,
            "finish_reason": self.finish.reason.value if self.finish else None,
            "usage": {"input": self.usage.input, "output": self.usage.output}
            if self.usage
            else None,
            "model": self.model,
            "conversation": self.conversation_id,
            **({"request_id": self.request_id} if self.request_id else {}),
        }


class Conversation:
    """History, model, system prompt and options of one conversation, and its turns.

    ``store``: where turns are kept (default: in memory only). ``cid``: a stored
    conversation to continue. ``fallbacks``: models to try, in order, when the model fails
    before its first token (besides those config.json names for it).
    """

    def __init__(
        self,
        factory: LlmServiceFactory,
        model: ModelInfo,
        *,
        store: ConversationStore | None = None,
        cid: str | None = None,
        system: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        fallbacks: Sequence[str] = (),
        on_notice: Callable[[Notice], None] | None = None,
    ) -> None:
        self.factory = factory
        self.store = store if store is not None else ConversationStore.in_memory()
        self._cid = cid
        self._model = model
        self._system = system
        self.parameters: dict[str, Any] = dict(parameters or {})
        self.fallbacks = tuple(fallbacks)
        self.on_notice = on_notice
        #: The last finished answer.
        self.last: Answer | None = None

    @classmethod
    def open(
        cls,
        factory: LlmServiceFactory,
        store: ConversationStore,
        *,
        model_name: str | None = None,
        cid: str | None = None,
        continue_latest: bool = False,
        system: str | None = None,
        **options: Any,
    ) -> Conversation:
        """A new conversation, or a stored one (``cid``, or the latest with
        ``continue_latest``) on its own model unless ``model_name`` says otherwise."""
        from liminal.ui import require_default_model

        if continue_latest and cid is None:
            cid = store.latest_id()
        stored = store.get(cid) if cid is not None else None
        if model_name:
            model = factory.model(model_name)
        else:
            resumed = _stored_model(factory, stored.model, stored.messages) if stored else None
            model = resumed or require_default_model(factory.plugins)
        if stored is not None:
            if system is not None and system != stored.system:
                store.set_system(stored.id, system)
            if stored.model != model.id:
                store.set_model(stored.id, model.id)
            system = system if system is not None else stored.system
        return cls(factory, model, store=store, cid=cid, system=system, **options)

    # -- state -------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The stored conversation's id; None until its first turn is stored."""
        return self._cid

    @property
    def model(self) -> ModelInfo:
        return self._model

    @property
    def system(self) -> str | None:
        return self._system

    def set_system(self, system: str | None) -> None:
        self._system = system or None
        if self._cid is not None:
            self.store.set_system(self._cid, self._system)

    def switch_model(self, id_or_alias: str) -> Switched:
        """Answer with another model from the next turn on; the history is kept."""
        model = self.factory.model(id_or_alias)
        self._model = model
        if self._cid is not None:
            self.store.set_model(self._cid, model.id)
        stored = self.messages()
        history = sendable(stored)
        count = self._counter(calibration(stored))
        fitted = fit_history(history, model, system=self._system, count=count)
        notice = Switched(model.id, len(history), fitted.dropped)
        log.info(notice.describe())
        return notice

    def messages(self) -> tuple[StoredMessage, ...]:
        """Every stored message, failed and interrupted ones included."""
        return self.store.get(self._cid).messages if self._cid is not None else ()

    def history(self) -> list[Message]:
        """What the next turn sends before the new user message."""
        return sendable(self.messages())

    # -- turns -------------------------------------------------------------------------

    async def stream(
        self,
        text: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """One turn: the answer's events as they arrive, stored as they arrive."""
        turn = await self._turn(text, parameters, timeout)
        chain = self._chain()
        usage: Usage | None = None
        finish: Finish | None = None
        while True:
            try:
                async for event in chain.stream(turn.request):
                    turn.begin()
                    if isinstance(event, TextDelta):
                        turn.received(event.text)
                    elif isinstance(event, Usage):
                        usage = event
                    elif isinstance(event, Finish):
                        finish = event
                    yield event
                break
            except LiminalError as error:
                self._after_failure(turn, error, chain.answered_by)  # raises unless refitted
            except BaseException:  # Ctrl-C, cancelled, the consumer stopped: keep what came
                turn.interrupted(chain.answered_by)
                raise
        self._finished(turn, turn.answer_text, finish, usage, chain.answered_by, None)

    async def complete(
        self,
        text: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        """One turn without streaming: the whole answer at once, then stored."""
        turn = await self._turn(text, parameters, timeout)
        chain = self._chain()
        while True:
            try:
                result = await chain.complete(turn.request)
                break
            except LiminalError as error:
                self._after_failure(turn, error, chain.answered_by)  # raises unless refitted
            except BaseException:
                turn.interrupted(chain.answered_by)
                raise
        turn.begin()
        turn.pieces.append(result.text)
        finish = Finish(result.finish_reason, result.raw_finish_reason)
        return self._finished(
            turn, result.text, finish, result.usage, chain.answered_by, result.request_id
        )

    # -- internals -------------------------------------------------------------------------

    def _notify(self, notice: Notice) -> None:
        log.info(notice.describe())
        if self.on_notice is not None:
            self.on_notice(notice)

    def _chain(self) -> FallbackChain:
        configured = self.factory.config.fallbacks.get(self._model.id, [])
        fallbacks = [*self.fallbacks, *(m for m in configured if m not in self.fallbacks)]
        return FallbackChain(self.factory, fallbacks, on_fallback=self._notify)

    def _counter(self, factor: float) -> Callable[[list[Message]], int]:
        """Tokens of a prompt: a plugin's exact count where it has one, else our estimate
        times ``factor`` (the correction learnt from the provider's own counts)."""
        plugins = self.factory.plugins
        model = self._model

        def count(messages: list[Message]) -> int:
            counted = plugins.exact_token_count(model, messages)
            if counted is not None:
                return counted
            return math.ceil(estimate_tokens(messages) * factor)

        return count

    async def _turn(
        self, text: str, parameters: Mapping[str, Any] | None, timeout: float | None
    ) -> _Turn:
        merged = {**self.parameters, **(parameters or {})}
        stored = self.messages()  # read once: the history, and how far off our counts were
        turn = _Turn(self, text, merged, timeout, calibration(stored))
        turn.history = sendable(stored)
        await self._count_exactly(turn)
        self._fit(turn)
        if turn.dropped:
            self._notify(Trimmed(self._model.id, turn.dropped))
        # What would refuse the request before sending: nothing is stored for it.
        turn.request, _ = self.factory.for_model(self._model.id).check(turn.request)
        return turn

    async def _count_exactly(self, turn: _Turn) -> None:
        """With ``exact_token_counts`` on, the provider counts the whole prompt once and our
        estimate is scaled to that count for the fitting: one request per turn, not one per
        turn considered."""
        if not self.factory.config.exact_token_counts:
            return
        messages = [*turn.history, Message(Role.USER, turn.text)]
        request = ChatRequest(self._model.id, tuple(messages), system=self._system)
        counted = await self.factory.for_model(self._model.id).count_tokens(request)
        if counted:
            system = [Message(Role.SYSTEM, self._system)] if self._system else []
            turn.factor = counted / max(estimate_tokens([*system, *messages]), 1)

    def _fit(self, turn: _Turn) -> None:
        max_output = turn.parameters.get("max_tokens")
        fitted = fit_history(
            [*turn.history, Message(Role.USER, turn.text)],
            self._model,
            system=self._system,
            max_output=max_output if isinstance(max_output, int) else None,
            count=self._counter(turn.factor),
        )
        turn.dropped = fitted.dropped
        turn.estimate = estimate_tokens(
            [*([Message(Role.SYSTEM, self._system)] if self._system else []), *fitted.messages]
        )
        turn.request = ChatRequest(
            model=self._model.id,
            messages=fitted.messages,
            system=self._system,
            parameters=turn.parameters,
            timeout=turn.timeout,
        )

    def _after_failure(self, turn: _Turn, error: LiminalError, answered_by: str | None) -> None:
        """A failed attempt: trimmed for one more try after an overflow (returns), else
        recorded and raised."""
        if not turn.may_refit(error):
            turn.failed(error, answered_by)
            raise error
        self._refit(turn, error)

    def _refit(self, turn: _Turn, error: LiminalError) -> None:
        """Trim by the numbers the provider gave (else by half again) and try once more."""
        needed, limit = overflow_numbers(error.message)
        if needed and turn.estimate:
            turn.factor = min(max(turn.factor, needed / turn.estimate) * 1.05, CALIBRATION[1] * 2)
        else:
            turn.factor *= 1.5
        turn.refitted = True
        before = turn.dropped
        self._fit(turn)
        self._notify(Refitted(self._model.id, needed, limit, turn.dropped))
        if turn.dropped == before:  # nothing left to leave out: the new turn alone is too long
            turn.failed(error, self._model.id)
            raise error

    def _finished(
        self,
        turn: _Turn,
        text: str,
        finish: Finish | None,
        usage: Usage | None,
        answered_by: str | None,
        request_id: str | None,
    ) -> Answer:
        model = answered_by or turn.request.model
        turn.completed(usage, model)
        answer = Answer(text, model, finish, usage, self._cid, request_id)
        self.last = answer
        if model != turn.request.model:
            self._notify(AnsweredBy(turn.request.model, model))
        if finish is not None and finish.reason in (
            FinishReason.CONTENT_FILTER,
            FinishReason.REFUSAL,
        ):
            raise LiminalError(
                ErrorCode.CONTENT_FILTERED,
                f"the answer from {model} was stopped by the provider ({finish.raw_reason})",
                model=model,
                partial_text=text,
            )
        if finish is not None and finish.reason in _CUT:
            self._notify(Stopped(finish.reason))
        return answer


class _Turn:
    """One turn's bookkeeping: stored only once something was sent, flushed as it streams."""

    def __init__(
        self,
        conversation: Conversation,
        text: str,
        parameters: dict[str, Any],
        timeout: float | None,
        factor: float,
    ) -> None:
        self.conversation = conversation
        self.text = text
        self.parameters = parameters
        self.timeout = timeout
        self.factor = factor
        self.request: ChatRequest
        #: The stored turns to send before this one (read once, also for a refit).
        self.history: list[Message] = []
        self.estimate = 0
        self.dropped = 0
        self.refitted = False
        self.pieces: list[str] = []
        self._user_id: int | None = None
        self._answer_id: int | None = None
        self._flushed = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def answer_text(self) -> str:
        return "".join(self.pieces)

    def may_refit(self, error: LiminalError) -> bool:
        return (
            error.code is ErrorCode.CONTEXT_LENGTH_EXCEEDED
            and not self.pieces
            and not self.refitted
        )

    def begin(self) -> None:
        """Store the user turn and an empty answer, once: something was sent."""
        if self._answer_id is not None:
            return
        c = self.conversation
        store = c.store
        if c._cid is None:
            c._cid = store.new_conversation(c.system, c.model.id)
        self._user_id = store.add(c._cid, Message(Role.USER, self.text))
        estimate = math.ceil(self.estimate) if self.estimate else None
        self._answer_id = store.start_answer(c._cid, self.request.model, estimate)

    def received(self, text: str) -> None:
        """Text shown to the user: in the store within ``FLUSH_SECONDS``, even if no more
        text comes (a stall, then ``kill -9``)."""
        self.pieces.append(text)
        if self._answer_id is None:
            return
        waited = time.monotonic() - self._flushed
        if waited >= FLUSH_SECONDS:
            self._flush()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(FLUSH_SECONDS - waited, self._flush)

    def _flush(self) -> None:
        self._stop_timer()
        self._flushed = time.monotonic()
        assert self._answer_id is not None
        self.conversation.store.update_answer(self._answer_id, self.answer_text, "streaming")

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def completed(self, usage: Usage | None, model: str) -> None:
        self._stop_timer()  # the final write must stay final
        self.begin()
        assert self._answer_id is not None
        self.conversation.store.update_answer(
            self._answer_id, self.answer_text, "complete", usage, model=model
        )

    def interrupted(self, model: str | None) -> None:
        """Ctrl-C, a cancellation, a consumer that stopped reading: keep what arrived."""
        if self._answer_id is not None or self.pieces:
            self._ended(model)

    def failed(self, error: LiminalError, model: str | None) -> None:
        """An error: kept unless it refused the request before anything was sent."""
        if error.code not in REFUSED or self._answer_id is not None or self.pieces:
            self._ended(model)

    def _ended(self, model: str | None) -> None:
        self._stop_timer()
        self.begin()
        assert self._answer_id is not None
        assert self._user_id is not None
        store = self.conversation.store
        status = "interrupted" if self.pieces else "error"
        store.update_answer(self._answer_id, self.answer_text, status, model=model)
        if not self.pieces:  # no answer came: the user turn is kept and shown, never resent
            store.set_status(self._user_id, "failed")


def _stored_model(
    factory: LlmServiceFactory, model_id: str | None, messages: Sequence[StoredMessage]
) -> ModelInfo | None:
    """The model a stored conversation last used, if it is still installed."""
    candidates = [model_id, *(m.model for m in reversed(messages) if m.role is Role.ASSISTANT)]
    for candidate in candidates:
        if candidate and candidate in factory.plugins.models:
            return factory.model(candidate)
    return None
