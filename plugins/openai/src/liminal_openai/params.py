"""Liminal request parameters to Chat Completions arguments, per model."""

from __future__ import annotations

from typing import Any

from liminal import ChatRequest, ModelInfo, Role

#: Parameters passed through under the same name.
_SAME_NAME = ("temperature", "top_p", "stop", "seed", "reasoning_effort")


def chat_messages(request: ChatRequest) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    for message in request.messages:
        messages.append({"role": Role(message.role).value, "content": message.content})
    return messages


def chat_arguments(model: ModelInfo, request: ChatRequest) -> dict[str, Any]:
    """Keyword arguments for ``chat.completions.create`` (already validated by the core)."""
    arguments: dict[str, Any] = {"model": model.id, "messages": chat_messages(request)}
    params = request.parameters
    for name in _SAME_NAME:
        if name in params:
            arguments[name] = params[name]
    if "max_tokens" in params:
        # Reasoning models refuse max_tokens: their budget includes hidden reasoning tokens.
        key = "max_completion_tokens" if model.capabilities.reasoning else "max_tokens"
        arguments[key] = params["max_tokens"]
    if "top_k" in params:
        # Not an OpenAI parameter: compatible servers (llama.cpp, vLLM) read it from the body.
        arguments["extra_body"] = {"top_k": params["top_k"]}
    if "response_format" in params:
        # A JSON object (a schema) passes through, though the declared value types omit it.
        value: object = params["response_format"]
        if isinstance(value, dict):
            arguments["response_format"] = value
        elif value in ("json", "json_object"):
            arguments["response_format"] = {"type": "json_object"}
        else:
            arguments["response_format"] = {"type": "text"}
    return arguments
