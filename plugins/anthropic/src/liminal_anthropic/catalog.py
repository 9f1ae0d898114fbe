"""The Anthropic models Liminal knows without asking the API.

Context windows and output limits are the figures on Anthropic's model pages
(platform.claude.com/docs/en/models/<model>/overview); each one is listed with
its source in ``docs/providers/_catalog_sources.md``.

Lifecycle is as of 2026-11-25 (platform.claude.com model deprecations).
``deprecated`` marks models Anthropic has deprecated or already retired;
retired models stay listed, flagged, so that stored conversations naming them
still resolve, and their comment gives the retirement date. "Legacy" models are
still served and are not flagged. Claude 3 Haiku, Sonnet and Opus are all
retired and are not listed.

Aliases are Anthropic's own alias ids plus ``claude-opus``, ``claude-sonnet``,
``claude-haiku`` and ``claude-fable`` for the newest model of each family.
"""

from __future__ import annotations

from liminal import Capabilities, ModelInfo
from liminal.provider import ModelFamily

__all__ = ["MODELS"]

PROVIDER = "anthropic"

#: What Claude models up to Opus 4.6 / Sonnet 4.6 accept. Recent ones (documented for
#: Haiku 4.5) reject ``temperature`` and ``top_p`` set together: the plugin sends one.
SAMPLING_PARAMETERS: tuple[str, ...] = ("temperature", "top_p", "top_k", "max_tokens", "stop")
#: Opus 4.7 and every later model answer a non-default temperature, top_p or
#: top_k with HTTP 400, so those are not offered at all.
FIXED_SAMPLING_PARAMETERS: tuple[str, ...] = ("max_tokens", "stop")


_claude = ModelFamily(
    PROVIDER,
    Capabilities(tools=True, vision=True, json_schema=True, reasoning=True),
    SAMPLING_PARAMETERS,
)


def _current(
    model_id: str,
    display_name: str,
    *,
    aliases: tuple[str, ...] = (),
) -> ModelInfo:
    """A Claude 4.7-or-later model: 1M-token window, 128K output, adaptive thinking."""
    return _claude(
        model_id,
        display_name,
        1_000_000,
        128_000,
        aliases=aliases,
        parameters=FIXED_SAMPLING_PARAMETERS,
    )


MODELS: tuple[ModelInfo, ...] = (
    _current("claude-fable-5-2", "Claude Fable 5.2", aliases=("claude-fable",)),
    _current("claude-opus-5-5", "Claude Opus 5.5", aliases=("claude-opus",)),
    _current("claude-sonnet-5-5", "Claude Sonnet 5.5", aliases=("claude-sonnet",)),
    _current("claude-haiku-5-5", "Claude Haiku 5.5", aliases=("claude-haiku",)),
    _current("claude-fable-5-1", "Claude Fable 5.1"),
    _current("claude-opus-5", "Claude Opus 5"),
    _current("claude-sonnet-5", "Claude Sonnet 5"),
    _current("claude-fable-5", "Claude Fable 5"),
    _current("claude-opus-4-8", "Claude Opus 4.8"),
    _current("claude-opus-4-7", "Claude Opus 4.7"),
    _claude("claude-opus-4-6", "Claude Opus 4.6", 1_000_000, 128_000),
    _claude("claude-sonnet-4-6", "Claude Sonnet 4.6", 1_000_000, 128_000),
    _claude(
        "claude-opus-4-5-20251101",
        "Claude Opus 4.5",
        200_000,
        64_000,
        aliases=("claude-opus-4-5",),
    ),
    _claude(
        "claude-haiku-4-5-20251001",
        "Claude Haiku 4.5",
        200_000,
        64_000,
        aliases=("claude-haiku-4-5",),
    ),
    # Retires 2026-11-30. Its 1M-token window was a beta (context-1m header), not listed here.
    _claude(
        "claude-sonnet-4-5-20250929",
        "Claude Sonnet 4.5",
        200_000,
        64_000,
        aliases=("claude-sonnet-4-5",),
        deprecated=True,
    ),
    # Retired 2026-08-05.
    _claude(
        "claude-opus-4-1-20250805",
        "Claude Opus 4.1",
        200_000,
        32_000,
        aliases=("claude-opus-4-1",),
        deprecated=True,
    ),
    # Retired 2026-06-15. Structured outputs never reached the models below.
    _claude(
        "claude-opus-4-20250514",
        "Claude Opus 4",
        200_000,
        32_000,
        aliases=("claude-opus-4-0",),
        json_schema=False,
        deprecated=True,
    ),
    _claude(
        "claude-sonnet-4-20250514",
        "Claude Sonnet 4",
        200_000,
        64_000,
        aliases=("claude-sonnet-4-0",),
        json_schema=False,
        deprecated=True,
    ),
    # Retired 2026-02-19.
    _claude(
        "claude-3-7-sonnet-20250219",
        "Claude Sonnet 3.7",
        200_000,
        64_000,
        aliases=("claude-3-7-sonnet-latest",),
        json_schema=False,
        deprecated=True,
    ),
    _claude(
        "claude-3-5-haiku-20241022",
        "Claude Haiku 3.5",
        200_000,
        8_192,
        aliases=("claude-3-5-haiku-latest",),
        reasoning=False,
        json_schema=False,
        deprecated=True,
    ),
    # Retired 2025-10-28.
    _claude(
        "claude-3-5-sonnet-20241022",
        "Claude Sonnet 3.5",
        200_000,
        8_192,
        aliases=("claude-3-5-sonnet-latest",),
        reasoning=False,
        json_schema=False,
        deprecated=True,
    ),
)
