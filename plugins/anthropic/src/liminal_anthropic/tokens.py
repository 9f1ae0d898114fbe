"""Exact input-token counts from Anthropic's count-tokens endpoint."""

from __future__ import annotations

import os
from typing import Any, cast

from liminal import ChatRequest, Message, ModelInfo
from liminal.keys import ApiKeyManager
from liminal_anthropic.params import messages_and_system

#: The count is an optimisation: never wait long for it.
COUNT_TIMEOUT = 5.0


def count_tokens(model: ModelInfo, messages: list[Message]) -> int | None:
    """The exact count, or None when it cannot be had (no key, no network, an error):
    the core's estimate then answers."""
    import anthropic

    from liminal_anthropic.plugin import PROVIDER

    entries = ApiKeyManager().candidates(PROVIDER.id, (PROVIDER.key_env_var,))
    if not entries:
        return None
    turns, system = messages_and_system(ChatRequest(model.id, tuple(messages)))
    if not turns:
        return None
    base_url = os.environ.get("ANTHROPIC_BASE_URL", "").strip() or PROVIDER.default_base_url
    client = anthropic.Anthropic(
        api_key=entries[0].secret.reveal(),
        base_url=base_url,
        max_retries=0,
        timeout=COUNT_TIMEOUT,
    )
    try:
        extra: dict[str, Any] = {"system": system} if system else {}
        counted = client.messages.count_tokens(model=model.id, messages=cast(Any, turns), **extra)
    except anthropic.AnthropicError:
        return None
    finally:
        client.close()
    return int(counted.input_tokens)
