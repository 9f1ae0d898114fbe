"""openai SDK exceptions to Liminal's taxonomy (the core knows the SDK's exception family)."""

from __future__ import annotations

from liminal import ErrorCode, LiminalError
from liminal.provider import error_from_sdk


def map_openai_error(provider_id: str, error: BaseException) -> LiminalError | None:
    import openai

    if isinstance(error, openai.ContentFilterFinishReasonError):
        mapped = LiminalError(
            ErrorCode.CONTENT_FILTERED, f"{provider_id}: {error}", provider=provider_id
        )
        mapped.__cause__ = error
        return mapped
    return error_from_sdk(openai, error, provider=provider_id)
