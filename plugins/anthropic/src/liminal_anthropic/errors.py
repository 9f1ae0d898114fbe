"""anthropic SDK exceptions to Liminal's taxonomy, most specific first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal import ErrorCode, LiminalError
from liminal.mapping import error_from_body, error_from_http, transport_error

if TYPE_CHECKING:
    import anthropic


def _spend_limit(error: anthropic.APIStatusError) -> bool:
    """A 429 that needs money, not a wait: Anthropic names spend limits in the stable
    ``error.details.error_code`` (``enforced_spend_limit_reached``...), not in the type."""
    detail = getattr(error, "error_code", None) or ""
    return "spend_limit" in detail


def map_anthropic_error(provider_id: str, error: BaseException) -> LiminalError | None:
    import anthropic

    mapped: LiminalError | None
    if isinstance(error, anthropic.APITimeoutError):
        mapped = LiminalError(
            ErrorCode.TIMEOUT, f"{provider_id}: the request timed out", provider=provider_id
        )
    elif isinstance(error, anthropic.APIConnectionError):
        cause = error.__cause__
        detail = f" ({type(cause).__name__})" if cause is not None else ""
        mapped = LiminalError(
            ErrorCode.NETWORK,
            f"{provider_id}: could not connect to {error.request.url.host}{detail}",
            provider=provider_id,
        )
    elif isinstance(error, anthropic.APIResponseValidationError):
        mapped = LiminalError(
            ErrorCode.SERVER_ERROR,
            f"{provider_id}: the server sent a response that is not valid",
            provider=provider_id,
            status=error.status_code,
        )
    elif isinstance(error, anthropic.APIStatusError) and error.status_code != 200:
        mapped = error_from_http(
            error.status_code,
            provider=provider_id,
            body=error.body,
            headers=dict(error.response.headers),
            message=error.api_message or error.message,
            request_id=error.request_id,
        )
        if mapped.code is ErrorCode.RATE_LIMITED and _spend_limit(error):
            mapped = mapped.evolve(code=ErrorCode.QUOTA_EXHAUSTED, hint=None)
    elif isinstance(error, anthropic.APIError):  # an `error` event inside a 200 stream
        body = error.body if error.body is not None else {"message": error.message}
        mapped = error_from_body(body, provider=provider_id)
    else:
        mapped = transport_error(error, provider=provider_id)
    if mapped is not None and mapped.__cause__ is None:
        mapped.__cause__ = error
    return mapped
