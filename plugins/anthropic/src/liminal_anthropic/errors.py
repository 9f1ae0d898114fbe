"""anthropic SDK exceptions to Liminal's taxonomy (the core knows the SDK's exception family)."""

from __future__ import annotations

from liminal import ErrorCode, LiminalError
from liminal.provider import error_from_sdk


def map_anthropic_error(provider_id: str, error: BaseException) -> LiminalError | None:
    import anthropic

    mapped = error_from_sdk(anthropic, error, provider=provider_id)
    # A 429 that needs money, not a wait: Anthropic names spend limits in the stable
    # ``error.details.error_code`` (``enforced_spend_limit_reached``...), not in the type.
    if (
        mapped is not None
        and mapped.code is ErrorCode.RATE_LIMITED
        and "spend_limit" in (getattr(error, "error_code", None) or "")
    ):
        mapped = mapped.evolve(code=ErrorCode.QUOTA_EXHAUSTED, hint=None)  # keeps the cause
    return mapped
