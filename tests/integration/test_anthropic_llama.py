"""What only the Anthropic protocol does, against a real engine: llama-server's /v1/messages.

What every provider does (catalog models, finish reasons, keys, context overflow, leaving a
stream early) is in test_providers_llama.py. Asserts protocol facts, never the model's words.
"""

from __future__ import annotations

import pytest

from liminal import ChatRequest, Message, Role
from liminal.managed import ManagedService
from liminal_anthropic.params import DEFAULT_MAX_TOKENS
from support.live import ANTHROPIC, Traffic, ask, check_stream, collect, only

pytestmark = [pytest.mark.integration, only(ANTHROPIC)]


async def test_max_tokens_defaults_to_the_capped_model_limit(
    service: ManagedService, traffic: Traffic
) -> None:
    events = await collect(service, ask("claude-opus-4-6", "Say hello.", temperature=0))
    check_stream(events, max_tokens=DEFAULT_MAX_TOKENS)
    assert traffic.body()["max_tokens"] == DEFAULT_MAX_TOKENS


async def test_streamed_and_whole_answers_count_the_same_input(service: ManagedService) -> None:
    # llama-server reports the reused prompt cache apart (cache_read_input_tokens) on a stream.
    request = ask("claude-opus-4-6", "Name a colour.", temperature=0, max_tokens=2)
    result = await service.complete(request)
    _, usage = check_stream(await collect(service, request), max_tokens=2)
    assert result.usage is not None
    assert usage.input == result.usage.input


async def test_system_prompt_and_any_history_are_accepted(
    service: ManagedService, traffic: Traffic
) -> None:
    request = ChatRequest(
        "claude-opus-4-6",
        (
            Message(Role.ASSISTANT, "How can I help?", model="gpt-4o"),  # e.g. from another model
            Message(Role.USER, "Hi"),
            Message(Role.USER, "Say bye"),
        ),
        system="Answer in one word.",
        parameters={"temperature": 0, "max_tokens": 3, "stop": ["\n\n"]},
    )
    events = await collect(service, request)
    _, usage = check_stream(events, max_tokens=3)
    assert usage.input > 10
    body = traffic.body()
    assert body["system"] == "Answer in one word."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][-1]["content"] == "Hi\n\nSay bye"
    assert body["stop_sequences"] == ["\n\n"]
