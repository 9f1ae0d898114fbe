"""Shared classification of provider failures into :class:`~liminal.errors.ErrorCode`.

Provider plugins extract status, body and headers from their SDK's exception
and call :func:`error_from_http`; the core's ``trylast`` fallback does the
same by duck typing (:func:`error_from_exception`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from liminal.errors import ErrorCode, LiminalError

__all__ = [
    "error_from_body",
    "error_from_exception",
    "error_from_http",
    "error_from_sdk",
    "parse_retry_after",
    "transport_error",
]

_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "prompt is too long",
    "maximum context length",
    "context window",
    "exceed_context_size",
    "exceeds the available context size",
    "too many tokens",
)
#: Machine-readable codes and types that mean "out of credit", not "slow down".
_QUOTA_CODES = ("insufficient_quota", "billing_error", "billing_hard_limit_reached")
#: Phrases of the same in error messages. Not bare "billing" or "quota": rate-limit
#: messages link to the billing page and must stay retryable.
_QUOTA_PHRASES = (
    "exceeded your current quota",
    "credit balance is too low",
    "reached your specified api usage limits",
    "usage limit",
)
_FILTER_MARKERS = ("content_filter", "content_policy", "responsibleaipolicyviolation")
_OVERLOAD_MARKERS = ("overloaded",)


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``retry-after`` (seconds or HTTP date)."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(float(raw_ms) / 1000.0, 0.0)
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if raw is None:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _body_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, type, message) from an OpenAI- or Anthropic-style error body."""
    if not isinstance(body, Mapping):
        return None, None, body if isinstance(body, str) else None
    error = body.get("error", body)
    if not isinstance(error, Mapping):
        return None, None, str(error)
    code = error.get("code")
    kind = error.get("type")
    message = error.get("message")
    return (
        str(code) if code is not None else None,
        str(kind) if kind is not None else None,
        str(message) if message is not None else None,
    )


def _has(markers: tuple[str, ...], *texts: str | None) -> bool:
    joined = " ".join(t.lower() for t in texts if t)
    return any(marker in joined for marker in markers)


def error_from_http(
    status: int | None,
    *,
    provider: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    message: str | None = None,
    request_id: str | None = None,
) -> LiminalError:
    """Classify an HTTP failure (or an in-stream error event when ``status`` is None)."""
    code, kind, body_message = _body_fields(body)
    text = body_message or message or (f"HTTP {status}" if status else "provider error")
    provider_code = code if code and not code.isdigit() else kind
    retry_after = parse_retry_after(headers)
    markers = (code, kind, text)

    def make(error_code: ErrorCode, hint: str | None = None) -> LiminalError:
        prefix = f"{provider}: " if provider else ""
        return LiminalError(
            error_code,
            prefix + text,
            hint=hint,
            provider=provider,
            status=status,
            provider_code=provider_code,
            request_id=request_id,
            retry_after=retry_after,
        )

    if _has(_CONTEXT_MARKERS, *markers):
        return make(ErrorCode.CONTEXT_LENGTH_EXCEEDED)
    if status == 401 or kind == "authentication_error":
        return make(ErrorCode.AUTH_INVALID)
    if status == 403 or kind == "permission_error":
        return make(ErrorCode.PERMISSION_DENIED)
    if (
        status == 402
        or _has(_QUOTA_CODES, code, kind)
        or (status in (None, 400, 403, 429) and _has(_QUOTA_PHRASES, text))
    ):
        return make(ErrorCode.QUOTA_EXHAUSTED)
    if status == 429 or kind == "rate_limit_error":
        return make(ErrorCode.RATE_LIMITED)
    if status == 404 or kind == "not_found_error":
        return make(ErrorCode.MODEL_NOT_FOUND)
    if status == 408:
        return make(ErrorCode.TIMEOUT)
    if status in (503, 529) or _has(_OVERLOAD_MARKERS, code, kind):
        return make(ErrorCode.OVERLOADED)
    if _has(_FILTER_MARKERS, *markers):
        return make(ErrorCode.CONTENT_FILTERED)
    if status == 413:
        return make(ErrorCode.INVALID_REQUEST, "the request is too large; send less text")
    if status in (400, 422) or kind == "invalid_request_error":
        return make(ErrorCode.INVALID_REQUEST)
    if (status is not None and status >= 500) or kind in ("api_error", "server_error"):
        return make(ErrorCode.SERVER_ERROR)
    return make(ErrorCode.UNKNOWN)


def error_from_body(body: Any, *, provider: str) -> LiminalError:
    """Classify an error event received inside a 200 stream."""
    return error_from_http(None, provider=provider, body=body)


def transport_error(exc: BaseException, *, provider: str) -> LiminalError | None:
    """TIMEOUT or NETWORK for transport-level exceptions (by type and name), else None."""
    name = type(exc).__name__
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) or any("Timeout" in n for n in names):
        return LiminalError(
            ErrorCode.TIMEOUT, f"{provider}: request timed out ({name})", provider=provider
        )
    network_names = (
        "ConnectError",
        "NetworkError",
        "RemoteProtocolError",
        "ReadError",
        "WriteError",
        "ProtocolError",
        "APIConnectionError",
        "TransportError",
    )
    if isinstance(exc, ConnectionError) or names & set(network_names):
        detail = str(exc).splitlines()[0] if str(exc) else name
        # Worded as error_from_sdk words the SDKs' own connection errors, so a dropped stream
        # reads the same whether the SDK or Liminal's stream parser was reading it.
        refused = isinstance(exc, ConnectionRefusedError) or "ConnectError" in names
        what = "could not connect" if refused else "lost the connection"
        return LiminalError(ErrorCode.NETWORK, f"{provider}: {what}: {detail}", provider=provider)
    return None


def _not_json(provider: str) -> LiminalError:
    """A 200 whose body does not parse: the server, not the request, is at fault."""
    return LiminalError(
        ErrorCode.SERVER_ERROR,
        f"{provider}: the server sent an answer that is not valid JSON",
        hint="try again; if it keeps happening, check the provider's base URL",
        provider=provider,
    )


def error_from_exception(exc: BaseException, *, provider: str) -> LiminalError:
    """Best-effort mapping of any exception by duck typing (status_code, body, response)."""
    if isinstance(exc, json.JSONDecodeError):
        return _not_json(provider)
    mapped = transport_error(exc, provider=provider)
    if mapped is not None:
        return mapped
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) if response is not None else None
    body = getattr(exc, "body", None)
    request_id = getattr(exc, "request_id", None)
    if isinstance(status, int) or body is not None:
        return error_from_http(
            status if isinstance(status, int) else None,
            provider=provider,
            body=body,
            headers=dict(headers) if headers is not None else None,
            message=str(exc) or type(exc).__name__,
            request_id=request_id if isinstance(request_id, str) else None,
        )
    return LiminalError(
        ErrorCode.UNKNOWN, f"{provider}: {type(exc).__name__}: {exc}", provider=provider
    )


def error_from_sdk(sdk: ModuleType, error: BaseException, *, provider: str) -> LiminalError | None:
    """Map an exception of an SDK generated by Stainless (``openai``, ``anthropic`` and
    others share its family: ``APITimeoutError`` < ``APIConnectionError`` < ``APIError``,
    ``APIStatusError``, ``APIResponseValidationError``), most specific first.

    ``sdk`` is the SDK's module, passed by the plugin (the core imports no SDK). Returns
    None for exceptions outside that family that are not transport errors either.
    """
    mapped: LiminalError | None
    if isinstance(error, sdk.APITimeoutError):
        mapped = LiminalError(
            ErrorCode.TIMEOUT, f"{provider}: the request timed out", provider=provider
        )
    elif isinstance(error, sdk.APIConnectionError):
        cause = error.__cause__
        detail = f" ({type(cause).__name__})" if cause is not None else ""
        # The SDKs raise this for a refused connection and for one dropped mid-answer alike.
        refused = cause is None or "ConnectError" in {c.__name__ for c in type(cause).__mro__}
        what = "could not connect to" if refused else "lost the connection to"
        host = getattr(getattr(getattr(error, "request", None), "url", None), "host", "the server")
        mapped = LiminalError(
            ErrorCode.NETWORK, f"{provider}: {what} {host}{detail}", provider=provider
        )
    elif isinstance(error, sdk.APIResponseValidationError):
        mapped = LiminalError(
            ErrorCode.SERVER_ERROR,
            f"{provider}: the server sent a response that is not valid",
            provider=provider,
            status=error.status_code,
        )
    elif isinstance(error, sdk.APIStatusError) and error.status_code != 200:
        mapped = error_from_http(
            error.status_code,
            provider=provider,
            body=error.body,
            headers=dict(error.response.headers),
            message=getattr(error, "api_message", None) or error.message,
            request_id=error.request_id,
        )
    elif isinstance(error, sdk.APIError):  # an error event inside a 200 stream
        body = error.body if error.body is not None else {"message": error.message}
        mapped = error_from_body(body, provider=provider)
    elif isinstance(error, json.JSONDecodeError):  # a 200 whose body is not JSON
        mapped = _not_json(provider)
    else:
        mapped = transport_error(error, provider=provider)
    if mapped is not None and mapped.__cause__ is None:
        mapped.__cause__ = error
    return mapped
