"""Requests and stop reasons shared by the AnthropicService tests."""

from __future__ import annotations

from liminal import (
    ChatRequest,
    FinishReason,
    Message,
    Role,
)
from liminal_anthropic.service import AnthropicService
from support.anthropic_fakes import (
    MODEL,
)

STOP_REASONS = [
    ("end_turn", FinishReason.STOP),
    ("stop_sequence", FinishReason.STOP),
    ("pause_turn", FinishReason.STOP),
    ("max_tokens", FinishReason.LENGTH),
    ("refusal", FinishReason.REFUSAL),
    ("model_context_window_exceeded", FinishReason.CONTEXT_WINDOW),
    ("tool_use", FinishReason.TOOL_CALLS),
]


def request(model: str = MODEL, text: str = "Say hello", **parameters: object) -> ChatRequest:
    return ChatRequest(model, (Message(Role.USER, text),), parameters=dict(parameters))  # type: ignore[arg-type]


async def events_of(service: AnthropicService, req: ChatRequest) -> list[object]:
    return [event async for event in service.stream(req)]
