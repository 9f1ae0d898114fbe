"""openai SDK exceptions to Liminal's taxonomy, most specific first."""

from __future__ import annotations

from liminal import ErrorCode, LiminalError
from liminal.mapping import error_from_body, error_from_http, transport_error


def map_openai_error(provider_id: str, error: BaseException) -> LiminalError | None:
    import openai

    mapped: LiminalError | None
    if isinstance(error, openai.APITimeoutError):
        mapped = LiminalError(
            ErrorCode.TIMEOUT, f"{provider_id}: the request timed out", provider=provider_id
        )
    elif isinstance(error, openai.APIConnectionError):
        import httpx2

        cause = error.__cause__
        detail = f" ({type(cause).__name__})" if cause is not None else ""
        # The SDK raises this for a refused connection and for one dropped mid-answer alike.
        if cause is None or isinstance(cause, httpx2.ConnectError):
            what = "could not connect to"
        else:
            what = "lost the connection to"
        mapped = LiminalError(
            ErrorCode.NETWORK,
            f"{provider_id}: {what} {error.request.url.host}{detail}",
            provider=provider_id,
        )
    elif isinstance(error, openai.APIResponseValidationError):
        mapped = LiminalError(
            ErrorCode.SERVER_ERROR,
            f"{provider_id}: the server sent a response that is not valid",
            provider=provider_id,
            status=error.status_code,
        )
    elif isinstance(error, openai.APIStatusError):
        mapped = error_from_http(
            error.status_code,
            provider=provider_id,
            body=error.body,
            headers=dict(error.response.headers),
            message=error.message,
            request_id=error.request_id,
        )
    elif isinstance(error, openai.ContentFilterFinishReasonError):
        mapped = LiminalError(
            ErrorCode.CONTENT_FILTERED, f"{provider_id}: {error}", provider=provider_id
        )
    elif isinstance(error, openai.APIError):  # an error event inside a 200 stream
        body = error.body if error.body is not None else {"message": error.message}
        mapped = error_from_body(body, provider=provider_id)
    else:
        mapped = transport_error(error, provider=provider_id)
    if mapped is not None and mapped.__cause__ is None:
        mapped.__cause__ = error
    return mapped
