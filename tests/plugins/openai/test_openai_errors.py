"""Every openai SDK exception mapped to the taxonomy (liminal_openai/errors.py)."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx2
import openai
import pytest

from liminal import ErrorCode
from liminal.factory import LlmServiceFactory
from liminal.plugins import Plugins
from liminal_openai.errors import map_openai_error
from liminal_openai.plugin import liminal_map_error
from support.mappings import OPENAI

http_request = OPENAI.request
response = OPENAI.response
mapped = OPENAI.mapped


def status_error(
    cls: type[openai.APIStatusError],
    status: int,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    message: str = "Error code",
) -> openai.APIStatusError:
    """The exception the SDK raises for an HTTP error (``body`` is the ``error`` object)."""
    wrapped = {"error": body} if body is not None else None
    return cls(message, response=response(status, wrapped, headers), body=body)


def err(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"message": message, "type": kind, "param": None, "code": code}


# -- HTTP status errors, one per SDK class ---------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "status", "body", "code"),
    [
        (openai.BadRequestError, 400, err("bad", "invalid_request_error"), "INVALID_REQUEST"),
        (
            openai.BadRequestError,
            400,
            err(
                "This model's maximum context length is 8192 tokens.",
                "invalid_request_error",
                "context_length_exceeded",
            ),
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (
            openai.BadRequestError,
            400,
            err("Unsupported parameter: 'temperature'", "invalid_request_error", "unsupported"),
            "INVALID_REQUEST",
        ),
        (
            openai.BadRequestError,
            400,
            err("Your request was rejected", "invalid_request_error", "content_policy_violation"),
            "CONTENT_FILTERED",
        ),
        (
            openai.AuthenticationError,
            401,
            err("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
            "AUTH_INVALID",
        ),
        (
            openai.PermissionDeniedError,
            403,
            err("no access", "permission_error"),
            "PERMISSION_DENIED",
        ),
        (
            openai.NotFoundError,
            404,
            err("The model `gpt-9` does not exist", "invalid_request_error", "model_not_found"),
            "MODEL_NOT_FOUND",
        ),
        (openai.ConflictError, 409, err("conflict", "invalid_request_error"), "INVALID_REQUEST"),
        (
            openai.UnprocessableEntityError,
            422,
            err("bad", "invalid_request_error"),
            "INVALID_REQUEST",
        ),
        (openai.RateLimitError, 429, err("Rate limit reached", "requests"), "RATE_LIMITED"),
        (
            openai.RateLimitError,
            429,
            err("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
            "QUOTA_EXHAUSTED",
        ),
        (openai.InternalServerError, 500, err("oops", "server_error"), "SERVER_ERROR"),
        (openai.InternalServerError, 502, None, "SERVER_ERROR"),
        (openai.InternalServerError, 503, err("busy", "server_error"), "OVERLOADED"),
        (openai.InternalServerError, 504, None, "SERVER_ERROR"),
        (openai.APIStatusError, 402, err("pay", "billing_error"), "QUOTA_EXHAUSTED"),
        (openai.APIStatusError, 408, None, "TIMEOUT"),
        (openai.APIStatusError, 413, None, "INVALID_REQUEST"),
        (openai.APIStatusError, 418, None, "UNKNOWN"),
    ],
)
def test_status_errors(
    cls: type[openai.APIStatusError], status: int, body: dict[str, Any] | None, code: str
) -> None:
    error = mapped(status_error(cls, status, body))
    assert error.code is ErrorCode(code)
    assert error.status == status


def test_status_error_keeps_message_provider_code_and_request_id() -> None:
    exc = status_error(
        openai.BadRequestError,
        400,
        err("Invalid value for 'seed'", "invalid_request_error", "invalid_value"),
        headers={"x-request-id": "req_abc"},
    )
    error = mapped(exc)
    assert error.message == "openai: Invalid value for 'seed'"
    assert error.provider_code == "invalid_value"
    assert error.request_id == "req_abc"


def test_status_error_without_body_uses_the_sdk_message() -> None:
    error = mapped(status_error(openai.InternalServerError, 500, None, message="Error code: 500"))
    assert "Error code: 500" in error.message


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ],
)
def test_rate_limit_carries_retry_after(headers: dict[str, str], seconds: float) -> None:
    error = mapped(status_error(openai.RateLimitError, 429, err("slow", "requests"), headers))
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after == seconds


def test_rate_limit_retry_after_as_an_http_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    error = mapped(status_error(openai.RateLimitError, 429, None, {"retry-after": when}))
    assert error.retry_after is not None
    assert 28 <= error.retry_after <= 31


def test_a_key_echoed_in_the_body_is_redacted() -> None:
    key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234"
    body = err(f"Incorrect API key provided: {key}.", "invalid_request_error", "invalid_api_key")
    error = mapped(status_error(openai.AuthenticationError, 401, body))
    assert error.code is ErrorCode.AUTH_INVALID
    assert key not in str(error)
    assert key not in repr(error)
    assert "1234" in error.message  # the masked form keeps the last four characters


def test_oauth_error_is_auth_invalid() -> None:
    body = {"error": "invalid_token", "error_description": "token expired"}
    exc = openai.OAuthError(response=response(401, body), body=body)
    assert mapped(exc).code is ErrorCode.AUTH_INVALID


# -- client-side errors (transport errors: plugins/test_error_mapping.py) -------------------


def test_content_filter_finish_is_content_filtered() -> None:
    error = mapped(openai.ContentFilterFinishReasonError())
    assert error.code is ErrorCode.CONTENT_FILTERED


# -- errors inside a 200 stream (the SDK's plain APIError) -----------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (err("The server had an error", "server_error"), "SERVER_ERROR"),
        (err("Overloaded", "overloaded_error"), "OVERLOADED"),
        (err("Rate limit reached", "rate_limit_error"), "RATE_LIMITED"),
        (
            err("too long", "invalid_request_error", "context_length_exceeded"),
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (err("flagged", "invalid_request_error", "content_filter"), "CONTENT_FILTERED"),
        (err("odd", "mystery"), "UNKNOWN"),
    ],
)
def test_in_stream_error_event(body: dict[str, Any], code: str) -> None:
    exc = openai.APIError(body["message"], http_request(), body=body)
    error = mapped(exc)
    assert error.code is ErrorCode(code)
    assert error.status is None
    assert body["message"] in error.message


def test_in_stream_error_without_a_body_uses_the_message() -> None:
    error = mapped(openai.APIError("An error occurred during streaming", http_request(), body=None))
    assert error.code is ErrorCode.UNKNOWN
    assert "An error occurred during streaming" in error.message


# -- what the plugin leaves to the core ------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        openai.OpenAIError("generic"),
        openai._exceptions.SubjectTokenProviderError("no token"),
        openai.InvalidWebhookSignatureError("bad signature"),
    ],
    ids=["OpenAIError", "SubjectTokenProviderError", "InvalidWebhookSignatureError"],
)
def test_sdk_errors_without_a_mapping_are_left_to_the_core(exc: BaseException) -> None:
    assert map_openai_error("openai", exc) is None
    assert liminal_map_error("openai", exc) is None
    factory = LlmServiceFactory(plugins=Plugins(load_entry_points=False))
    assert factory.map_error("openai", exc).code is ErrorCode.UNKNOWN


def test_length_finish_reason_error_is_left_to_the_core() -> None:
    from openai.types.chat import ChatCompletion

    completion = ChatCompletion.construct(id="x", choices=[], created=1, model="m", usage=None)
    assert map_openai_error("openai", openai.LengthFinishReasonError(completion=completion)) is None


def test_transport_exceptions_that_escape_the_sdk_are_still_mapped() -> None:
    error = map_openai_error("openai", httpx2.ReadTimeout("slow"))
    assert error is not None
    assert error.code is ErrorCode.TIMEOUT


def test_hook_maps_sdk_exceptions_for_any_provider_id() -> None:
    exc = status_error(openai.AuthenticationError, 401, err("no", "invalid_request_error"))
    error = liminal_map_error("my-compatible", exc)
    assert error is not None
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.provider == "my-compatible"
    assert error.message.startswith("my-compatible: ")
