"""One turn of a conversation: fit the history, stream the answer, store every token."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import Any, Protocol, TextIO

import click

from liminal.context import estimate_tokens, fit_history
from liminal.errors import ErrorCode, LiminalError
from liminal.store import ConversationStore
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    FinishReason,
    Message,
    ModelInfo,
    Role,
    StreamEvent,
    TextDelta,
    Usage,
)

_CUT = {FinishReason.LENGTH: "the output limit", FinishReason.CONTEXT_WINDOW: "the context window"}


def build_request(
    store: ConversationStore,
    cid: str,
    model: ModelInfo,
    text: str,
    *,
    system: str | None,
    parameters: dict[str, Any],
    timeout: float | None,
) -> ChatRequest:
    from liminal.plugins import get_plugins

    history = [*store.history(cid), Message(Role.USER, text)]
    max_output = parameters.get("max_tokens")
    hook = get_plugins().pm.hook

    def count(messages: list[Message]) -> int:
        # A plugin may count exactly; the core's estimate answers otherwise.
        counted = hook.liminal_count_tokens(model=model, messages=messages)
        return int(counted) if counted is not None else estimate_tokens(messages)

    fitted = fit_history(
        history,
        model,
        system=system,
        max_output=max_output if isinstance(max_output, int) else None,
        count=count,
    )
    if fitted.dropped:
        click.echo(
            f"(left out the {fitted.dropped} oldest messages to fit {model.id}'s context window)",
            err=True,
        )
    return ChatRequest(
        model=model.id,
        messages=fitted.messages,
        system=system,
        parameters=parameters,
        timeout=timeout,
    )


class Streamer(Protocol):
    """A ManagedService or a FallbackChain."""

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def complete(self, request: ChatRequest) -> ChatResult: ...


async def stream_turn(
    service: Streamer,
    store: ConversationStore,
    cid: str,
    request: ChatRequest,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Stream one answer to ``out`` and the store; the stored status says how it ended."""
    out = out or sys.stdout
    store.add(cid, request.messages[-1])
    answer_id = store.start_answer(cid, request.model)
    pieces: list[str] = []
    usage: Usage | None = None
    finish: Finish | None = None
    status = "interrupted"  # unless the stream completes or fails before the first token
    try:
        async for event in service.stream(request):
            if isinstance(event, TextDelta):
                pieces.append(event.text)
                out.write(event.text)
                out.flush()
            elif isinstance(event, Usage):
                usage = event
            elif isinstance(event, Finish):
                finish = event
        status = "complete"
    except LiminalError as error:
        status = "interrupted" if pieces else "error"
        if pieces:
            out.write("\n")
            out.flush()
        raise error
    finally:
        answered_by = getattr(service, "answered_by", None) or request.model
        store.update_answer(answer_id, "".join(pieces), status, usage, model=answered_by)
    if pieces and not pieces[-1].endswith("\n"):
        out.write("\n")
    out.flush()
    if answered_by != request.model:
        click.echo(f"(answered by {answered_by})", err=True)
    data = _finished(request, "".join(pieces), finish, usage, cid)
    data["model"] = answered_by
    return data


def _finished(
    request: ChatRequest, text: str, finish: Finish | None, usage: Usage | None, cid: str
) -> dict[str, Any]:
    if finish is not None and finish.reason in (FinishReason.CONTENT_FILTER, FinishReason.REFUSAL):
        raise LiminalError(
            ErrorCode.CONTENT_FILTERED,
            f"the answer from {request.model} was stopped by the provider ({finish.raw_reason})",
            model=request.model,
            partial_text=text,
        )
    if finish is not None and finish.reason in _CUT:
        click.echo(f"(the answer stopped at {_CUT[finish.reason]})", err=True)
    return {
        "text": text,
        "finish_reason": finish.reason.value if finish else None,
        "usage": {"input": usage.input, "output": usage.output} if usage else None,
        "model": request.model,
        "conversation": cid,
    }


async def complete_turn(
    service: Streamer, store: ConversationStore, cid: str, request: ChatRequest
) -> dict[str, Any]:
    """The non-streaming form of :func:`stream_turn`."""
    store.add(cid, request.messages[-1])
    answer_id = store.start_answer(cid, request.model)
    try:
        result = await service.complete(request)
    except BaseException:
        store.update_answer(answer_id, "", "error")
        raise
    answered_by = getattr(service, "answered_by", None) or result.model
    store.update_answer(answer_id, result.text, "complete", result.usage, model=answered_by)
    if answered_by != request.model:
        click.echo(f"(answered by {answered_by})", err=True)
    finish = Finish(result.finish_reason, result.raw_finish_reason)
    data = _finished(request, result.text, finish, result.usage, cid)
    data["model"] = answered_by
    data["request_id"] = result.request_id
    return data
