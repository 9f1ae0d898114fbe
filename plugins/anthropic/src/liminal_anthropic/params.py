"""Liminal requests to Messages API arguments."""

from __future__ import annotations

from typing import Any

from liminal import ChatRequest, ModelInfo, Role

#: ``max_tokens`` is required by the API; without ``-o max_tokens`` send this much at most
#: (the SDK refuses non-streaming calls whose budget could outlast its 10-minute limit).
DEFAULT_MAX_TOKENS = 8192

_SAMPLING = ("temperature", "top_p", "top_k")


def messages_and_system(request: ChatRequest) -> tuple[list[dict[str, str]], str | None]:
    """Anthropic's shape: system apart, roles alternating, the first turn the user's.

    Any history (e.g. from another provider) is accepted: consecutive turns of one
    role are merged, system turns join the system prompt.
    """
    system_parts = [request.system] if request.system else []
    merged: list[dict[str, str]] = []
    for message in request.messages:
        role = Role(message.role)
        if role is Role.SYSTEM:
            system_parts.append(message.content)
            continue
        if merged and merged[-1]["role"] == role.value:
            merged[-1]["content"] += "\n\n" + message.content
        else:
            merged.append({"role": role.value, "content": message.content})
    if merged and merged[0]["role"] != "user":
        merged.insert(0, {"role": "user", "content": "(conversation continues)"})
    return merged, "\n\n".join(system_parts) or None


def message_arguments(model: ModelInfo, request: ChatRequest) -> dict[str, Any]:
    """Keyword arguments for ``messages.create`` (already validated by the core)."""
    messages, system = messages_and_system(request)
    params = request.parameters
    arguments: dict[str, Any] = {
        "model": model.id,
        "messages": messages,
        "max_tokens": params.get("max_tokens") or min(model.max_output_tokens, DEFAULT_MAX_TOKENS),
    }
    if system:
        arguments["system"] = system
    # anthropic 2.x dropped the sampling keywords from ``messages.create``; the API still
    # takes them on the models that accept them (the catalog lists which), in the body.
    sampling = {name: params[name] for name in _SAMPLING if name in params}
    if "temperature" in sampling:
        sampling.pop("top_p", None)  # recent models refuse both at once: temperature wins
    if sampling:
        arguments["extra_body"] = sampling
    if "stop" in params:
        stop = params["stop"]
        arguments["stop_sequences"] = [stop] if isinstance(stop, str) else stop
    return arguments
