"""The OpenAI models Liminal knows without asking the API.

Context windows and output limits are the figures on OpenAI's model pages
(developers.openai.com/api/docs/models/<id>); each one is listed with its source
in ``docs/providers/_catalog_sources.md``.

Lifecycle is as of 2026-11-25. ``deprecated`` marks every model OpenAI has
announced a shutdown date for, matching the deprecation notes of the pinned
``openai`` SDK (``openai.types.shared.ChatModel``). Models whose shutdown date
has passed stay listed, flagged, so that stored conversations naming them
still resolve; their comment gives the date.
"""

from __future__ import annotations

from liminal import Capabilities, ModelInfo
from liminal.provider import ModelFamily

__all__ = ["MODELS", "REASONING_MODELS"]

PROVIDER = "openai"

#: What sampling chat models (GPT-3.5 to GPT-4.1) accept.
CHAT_PARAMETERS: tuple[str, ...] = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "response_format",
)
#: Reasoning models reject temperature, top_p and stop; the plugin sends
#: ``max_tokens`` as ``max_completion_tokens`` for them.
REASONING_PARAMETERS: tuple[str, ...] = (
    "max_tokens",
    "seed",
    "response_format",
    "reasoning_effort",
)


_chat = ModelFamily(
    PROVIDER,
    Capabilities(tools=True, vision=True, json_schema=True),
    CHAT_PARAMETERS,
)
# o1 and later take system prompts as developer messages; all accept structured outputs.
_reasoning = ModelFamily(
    PROVIDER,
    Capabilities(tools=True, vision=True, json_schema=True, reasoning=True),
    REASONING_PARAMETERS,
)


MODELS: tuple[ModelInfo, ...] = (
    # GPT-6: 1,050,000-token window = 922,000 input + 128,000 output.
    _reasoning("gpt-6-astra", "GPT-6 Astra", 1_050_000, 128_000, aliases=("6-astra",)),
    # Chat Completions serves GPT-6.1 Sol without tool calling (tools need the Responses API).
    _reasoning("gpt-6.1-sol", "GPT-6.1 Sol", 1_050_000, 128_000, aliases=("6.1-sol",), tools=False),
    # GPT-6 Sol and Luna call functions on Chat Completions only with reasoning_effort "none".
    _reasoning("gpt-6-sol", "GPT-6 Sol", 1_050_000, 128_000, aliases=("6-sol",)),
    _reasoning("gpt-6-luna", "GPT-6 Luna", 1_050_000, 128_000, aliases=("6-luna",)),
    # GPT-5.6: OpenAI's own `gpt-5.6` alias routes to Sol.
    _reasoning("gpt-5.6-sol", "GPT-5.6 Sol", 1_050_000, 128_000, aliases=("gpt-5.6", "5.6")),
    _reasoning("gpt-5.6-terra", "GPT-5.6 Terra", 1_050_000, 128_000, aliases=("5.6-terra",)),
    _reasoning("gpt-5.6-luna", "GPT-5.6 Luna", 1_050_000, 128_000, aliases=("5.6-luna",)),
    _reasoning("gpt-5.5", "GPT-5.5", 1_050_000, 128_000, aliases=("5.5",)),
    _reasoning("gpt-5.4", "GPT-5.4", 1_050_000, 128_000, aliases=("5.4",)),
    # GPT-5 to 5.2: 400,000-token window = 272,000 input + 128,000 output.
    _reasoning("gpt-5.2", "GPT-5.2", 400_000, 128_000, aliases=("5.2",)),
    # Shutdown 2027-04-01.
    _reasoning("gpt-5.1", "GPT-5.1", 400_000, 128_000, aliases=("5.1",), deprecated=True),
    # Shutdown 2026-12-11.
    _reasoning("gpt-5", "GPT-5", 400_000, 128_000, aliases=("5",), deprecated=True),
    _reasoning("gpt-5-mini", "GPT-5 mini", 400_000, 128_000, aliases=("5-mini",), deprecated=True),
    _reasoning("gpt-5-nano", "GPT-5 nano", 400_000, 128_000, aliases=("5-nano",), deprecated=True),
    _reasoning("o3", "o3", 200_000, 100_000, deprecated=True),
    # Shut down 2026-10-23.
    _reasoning("o4-mini", "o4-mini", 200_000, 100_000, deprecated=True),
    _reasoning("o3-mini", "o3-mini", 200_000, 100_000, vision=False, deprecated=True),
    _reasoning("o1", "o1", 200_000, 100_000, deprecated=True),
    # Shutdown 2027-01-14.
    _chat("gpt-4.1", "GPT-4.1", 1_047_576, 32_768, aliases=("4.1",), deprecated=True),
    _chat(
        "gpt-4.1-mini", "GPT-4.1 mini", 1_047_576, 32_768, aliases=("4.1-mini",), deprecated=True
    ),
    _chat("gpt-4o", "GPT-4o", 128_000, 16_384, aliases=("4o",), deprecated=True),
    _chat("gpt-4o-mini", "GPT-4o mini", 128_000, 16_384, aliases=("4o-mini",), deprecated=True),
    # Shut down 2026-10-23. GPT-4 Turbo and GPT-3.5 Turbo have JSON mode, not structured outputs.
    _chat(
        "gpt-4.1-nano", "GPT-4.1 nano", 1_047_576, 32_768, aliases=("4.1-nano",), deprecated=True
    ),
    _chat(
        "gpt-4-turbo",
        "GPT-4 Turbo",
        128_000,
        4_096,
        aliases=("4t",),
        json_schema=False,
        deprecated=True,
    ),
    # gpt-4-0613 predates JSON mode, so it takes no response_format.
    _chat(
        "gpt-4",
        "GPT-4",
        8_192,
        8_192,
        aliases=("4",),
        vision=False,
        json_schema=False,
        deprecated=True,
        parameters=("temperature", "top_p", "max_tokens", "stop", "seed"),
    ),
    _chat(
        "gpt-3.5-turbo",
        "GPT-3.5 Turbo",
        16_385,
        4_096,
        aliases=("3.5",),
        vision=False,
        json_schema=False,
        deprecated=True,
    ),
)

#: Ids that take ``max_completion_tokens`` instead of ``max_tokens``.
REASONING_MODELS: frozenset[str] = frozenset(m.id for m in MODELS if m.capabilities.reasoning)
