"""Classifying provider failures: Retry-After, HTTP status and body, transport exceptions."""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.provider.mapping import (
    error_from_body,
    error_from_exception,
    error_from_http,
    parse_retry_after,
    transport_error,
)

NOW = 1_750_000_000.0  # a fixed "now" for HTTP dates

# -- parse_retry_after --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "30"}, 0.25),  # ms wins
        ({"Retry-After-Ms": "20", "Retry-After": "1"}, 0.02),
        ({"retry-after-ms": "junk", "retry-after": "3"}, 3.0),  # bad ms: fall back
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-5"}, 0.0),  # never negative
        ({"retry-after-ms": "-100"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"content-type": "application/json"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_http_date_is_relative_to_now() -> None:
    date = email.utils.formatdate(NOW + 42, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=NOW) == pytest.approx(42.0)


def test_http_date_in_the_past_is_zero() -> None:
    date = email.utils.formatdate(NOW - 3600, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=NOW) == 0.0


def test_literal_http_date() -> None:
    # RFC 9110's example date; "now" one minute before it
    when = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert parse_retry_after(headers, now=when - 60) == pytest.approx(60.0)


def test_http_date_without_now_uses_the_clock() -> None:
    import time

    date = email.utils.formatdate(time.time() + 120, usegmt=True)
    assert parse_retry_after({"retry-after": date}) == pytest.approx(120.0, abs=2.0)


# -- error_from_http ------------------------------------------------------------------------------


def openai_body(message: str, kind: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def anthropic_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


LLAMA_CPP_CONTEXT = {
    "error": {
        "code": 400,
        "message": "the request exceeds the available context size, try increasing it",
        "type": "exceed_context_size_error",
        "n_prompt_tokens": 5000,
        "n_ctx": 4096,
    }
}

HTTP_CASES = [
    pytest.param(
        401,
        openai_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
        ErrorCode.AUTH_INVALID,
        id="401",
    ),
    pytest.param(
        401,
        anthropic_body("authentication_error", "invalid x-api-key"),
        ErrorCode.AUTH_INVALID,
        id="401-anthropic",
    ),
    pytest.param(403, None, ErrorCode.PERMISSION_DENIED, id="403"),
    pytest.param(
        403,
        anthropic_body("permission_error", "not allowed"),
        ErrorCode.PERMISSION_DENIED,
        id="403-anthropic",
    ),
    pytest.param(
        404,
        openai_body("The model `gpt-9` does not exist", "invalid_request_error", "model_not_found"),
        ErrorCode.MODEL_NOT_FOUND,
        id="404",
    ),
    pytest.param(408, None, ErrorCode.TIMEOUT, id="408"),
    pytest.param(413, None, ErrorCode.INVALID_REQUEST, id="413"),
    pytest.param(
        400,
        openai_body(
            "This model's maximum context length is 128000 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
        ),
        ErrorCode.CONTEXT_LENGTH_EXCEEDED,
        id="400-context_length_exceeded",
    ),
    pytest.param(
        400,
        LLAMA_CPP_CONTEXT,
        ErrorCode.CONTEXT_LENGTH_EXCEEDED,
        id="400-llama.cpp-exceed_context_size_error",
    ),
    pytest.param(
        400,
        anthropic_body(
            "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
        ),
        ErrorCode.CONTEXT_LENGTH_EXCEEDED,
        id="400-anthropic-prompt-too-long",
    ),
    pytest.param(
        400,
        openai_body("Invalid value for 'temperature'", "invalid_request_error"),
        ErrorCode.INVALID_REQUEST,
        id="400-other",
    ),
    pytest.param(422, {"detail": "unprocessable"}, ErrorCode.INVALID_REQUEST, id="422"),
    pytest.param(
        400,
        openai_body("flagged by the content filter", "invalid_request_error", "content_filter"),
        ErrorCode.CONTENT_FILTERED,
        id="400-content_filter",
    ),
    pytest.param(
        429,
        openai_body(
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            "insufficient_quota",
        ),
        ErrorCode.QUOTA_EXHAUSTED,
        id="429-insufficient_quota",
    ),
    pytest.param(
        429,
        openai_body("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
        ErrorCode.RATE_LIMITED,
        id="429",
    ),
    pytest.param(
        429,
        anthropic_body("rate_limit_error", "Number of requests has exceeded your rate limit"),
        ErrorCode.RATE_LIMITED,
        id="429-anthropic",
    ),
    pytest.param(402, None, ErrorCode.QUOTA_EXHAUSTED, id="402"),
    pytest.param(500, None, ErrorCode.SERVER_ERROR, id="500"),
    pytest.param(502, "<html>Bad Gateway</html>", ErrorCode.SERVER_ERROR, id="502-html"),
    pytest.param(504, None, ErrorCode.SERVER_ERROR, id="504"),
    pytest.param(503, None, ErrorCode.OVERLOADED, id="503"),
    pytest.param(
        529, anthropic_body("overloaded_error", "Overloaded"), ErrorCode.OVERLOADED, id="529"
    ),
    pytest.param(
        None,
        anthropic_body("overloaded_error", "Overloaded"),
        ErrorCode.OVERLOADED,
        id="in-stream-overloaded_error",
    ),
    pytest.param(
        None,
        anthropic_body("api_error", "Internal server error"),
        ErrorCode.SERVER_ERROR,
        id="in-stream-api_error",
    ),
    pytest.param(
        None,
        anthropic_body("rate_limit_error", "slow down"),
        ErrorCode.RATE_LIMITED,
        id="in-stream-rate_limit_error",
    ),
    pytest.param(
        None,
        openai_body("The server had an error while processing your request.", "server_error"),
        ErrorCode.SERVER_ERROR,
        id="in-stream-openai-server_error",
    ),
    pytest.param(418, None, ErrorCode.UNKNOWN, id="418"),
    pytest.param(None, None, ErrorCode.UNKNOWN, id="nothing-known"),
]


@pytest.mark.parametrize(("status", "body", "code"), HTTP_CASES)
def test_error_from_http(status: int | None, body: Any, code: ErrorCode) -> None:
    error = error_from_http(status, provider="prov", body=body, request_id="req_1")
    assert error.code is code
    assert error.status == status
    assert error.provider == "prov"
    assert error.request_id == "req_1"
    assert error.message.startswith("prov: ")


def test_message_comes_from_the_body() -> None:
    error = error_from_http(
        400,
        provider="anthropic",
        body=anthropic_body("invalid_request_error", "prompt is too long: 9 tokens > 5 maximum"),
    )
    assert error.message == "anthropic: prompt is too long: 9 tokens > 5 maximum"
    assert error.provider_code == "invalid_request_error"


def test_provider_code_prefers_the_string_code() -> None:
    body = openai_body("quota", "insufficient_quota", "insufficient_quota")
    error = error_from_http(429, provider="openai", body=body)
    assert error.provider_code == "insufficient_quota"
    # llama.cpp's numeric "code" is not a provider code; its type is
    assert error_from_http(400, provider="p", body=LLAMA_CPP_CONTEXT).provider_code == (
        "exceed_context_size_error"
    )


def test_message_falls_back_to_status() -> None:
    assert error_from_http(503, provider="p").message == "p: HTTP 503"
    assert error_from_http(503, provider="p", message="Service Unavailable").message == (
        "p: Service Unavailable"
    )


def test_429_carries_retry_after() -> None:
    error = error_from_http(
        429,
        provider="openai",
        body=openai_body("Rate limit reached", "requests", "rate_limit_exceeded"),
        headers={"retry-after-ms": "1200", "retry-after": "2"},
    )
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after == 1.2
    assert error.retryable


def test_plain_429_without_headers_has_no_retry_after() -> None:
    error = error_from_http(429, provider="p")
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after is None


def test_openai_rate_limit_mentioning_billing_is_still_a_rate_limit() -> None:
    body = openai_body(
        "Rate limit reached for gpt-4o-mini in organization org-abc on requests per min "
        "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more. You can increase "
        "your rate limit by adding a payment method to your account at "
        "https://platform.openai.com/account/billing.",
        "requests",
        "rate_limit_exceeded",
    )
    error = error_from_http(429, provider="openai", body=body, headers={"retry-after": "20"})
    assert error.code is ErrorCode.RATE_LIMITED


def test_error_from_body_is_an_in_stream_error() -> None:
    error = error_from_body(anthropic_body("overloaded_error", "Overloaded"), provider="anthropic")
    assert error.code is ErrorCode.OVERLOADED
    assert error.status is None
    assert error.retryable


def test_key_in_an_error_body_is_redacted() -> None:
    key = "sk-proj-LeakedInBody0123456789"
    error = error_from_http(
        401,
        provider="openai",
        body=openai_body(
            f"Incorrect API key provided: {key}.", "invalid_request_error", "invalid_api_key"
        ),
    )
    assert key not in str(error)
    assert key not in repr(error)


# -- transport_error ----------------------------------------------------------------------------


def _exc(name: str, *bases: type[BaseException]) -> BaseException:
    return type(name, bases or (Exception,), {})(f"{name} happened")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (TimeoutError("t"), ErrorCode.TIMEOUT),
        (asyncio.TimeoutError(), ErrorCode.TIMEOUT),
        (_exc("ReadTimeout"), ErrorCode.TIMEOUT),
        (_exc("ConnectTimeout"), ErrorCode.TIMEOUT),
        (_exc("APITimeoutError"), ErrorCode.TIMEOUT),
        (ConnectionRefusedError(111, "Connection refused"), ErrorCode.NETWORK),
        (ConnectionResetError(104, "Connection reset by peer"), ErrorCode.NETWORK),
        (_exc("ConnectError"), ErrorCode.NETWORK),
        (_exc("RemoteProtocolError"), ErrorCode.NETWORK),
        (_exc("ReadError"), ErrorCode.NETWORK),
        (_exc("APIConnectionError"), ErrorCode.NETWORK),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_transport_error_by_type_and_name(exc: BaseException, code: ErrorCode) -> None:
    error = transport_error(exc, provider="p")
    assert error is not None
    assert error.code is code
    assert error.provider == "p"
    assert type(exc).__name__ in error.message or code is ErrorCode.NETWORK


def test_transport_error_matches_base_class_names() -> None:
    class TransportError(Exception):
        pass

    class SomethingSpecific(TransportError):
        pass

    error = transport_error(SomethingSpecific("dns failure"), provider="p")
    assert error is not None
    assert error.code is ErrorCode.NETWORK
    assert "dns failure" in error.message


@pytest.mark.parametrize(
    ("exc", "wording"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "p: could not connect: "),
        (_exc("ConnectError"), "p: could not connect: ConnectError happened"),
        (_exc("RemoteProtocolError"), "p: lost the connection: RemoteProtocolError happened"),
        (ConnectionResetError(104, "Connection reset by peer"), "p: lost the connection: "),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else "",
)
def test_transport_error_says_whether_it_connected(exc: BaseException, wording: str) -> None:
    error = transport_error(exc, provider="p")
    assert error is not None
    assert error.message.startswith(wording)


@pytest.mark.parametrize("exc", [ValueError("x"), KeyError("k"), RuntimeError("r")])
def test_transport_error_ignores_other_exceptions(exc: BaseException) -> None:
    assert transport_error(exc, provider="p") is None


# -- error_from_exception (the built-in trylast fallback) --------------------------------------


class FakeResponse:
    def __init__(self, status_code: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.headers = headers or {}


class FakeAPIStatusError(Exception):
    """Shaped like openai/anthropic ``APIStatusError``: status_code, body, response, request_id."""

    def __init__(
        self,
        message: str,
        status_code: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.response = FakeResponse(status_code, headers)
        self.request_id = request_id


def test_exception_with_status_code_and_body() -> None:
    exc = FakeAPIStatusError(
        "Error code: 429",
        429,
        body=openai_body("Rate limit reached", "requests", "rate_limit_exceeded"),
        headers={"retry-after": "3"},
        request_id="req_abc",
    )
    error = error_from_exception(exc, provider="openai")
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after == 3.0
    assert error.request_id == "req_abc"
    assert error.status == 429
    assert "Rate limit reached" in error.message


def test_exception_with_status_only_on_the_response() -> None:
    class HTTPStatusError(Exception):
        def __init__(self) -> None:
            super().__init__("Server error '502 Bad Gateway'")
            self.response = FakeResponse(502)

    error = error_from_exception(HTTPStatusError(), provider="p")
    assert error.code is ErrorCode.SERVER_ERROR
    assert error.status == 502
    assert "502 Bad Gateway" in error.message


def test_exception_with_body_only_is_an_in_stream_error() -> None:
    class APIError(Exception):
        body = anthropic_body("overloaded_error", "Overloaded")

    error = error_from_exception(APIError("Overloaded"), provider="anthropic")
    assert error.code is ErrorCode.OVERLOADED
    assert error.status is None


def test_non_string_request_id_is_ignored() -> None:
    exc = FakeAPIStatusError("boom", 500)
    exc.request_id = 12345  # type: ignore[assignment]
    assert error_from_exception(exc, provider="p").request_id is None


def test_transport_exceptions_win_over_attributes() -> None:
    class APITimeoutError(Exception):
        status_code = 500

    assert error_from_exception(APITimeoutError(), provider="p").code is ErrorCode.TIMEOUT


def test_anything_else_is_unknown() -> None:
    error = error_from_exception(ZeroDivisionError("division by zero"), provider="p")
    assert error.code is ErrorCode.UNKNOWN
    assert "ZeroDivisionError" in error.message
    assert error.provider == "p"
    assert isinstance(error, LiminalError)


def test_a_body_that_is_not_json_is_a_server_error() -> None:
    import json

    try:
        json.loads("<html>")
    except json.JSONDecodeError as exc:
        not_json = exc
    mapped = error_from_exception(not_json, provider="p")
    assert mapped.code is ErrorCode.SERVER_ERROR
    assert "not valid JSON" in mapped.message
