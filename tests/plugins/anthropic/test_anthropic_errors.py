"""Every anthropic SDK exception mapped to the taxonomy (liminal_anthropic/errors.py)."""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import anthropic
import httpx2
import pytest

from liminal import ChatRequest, ErrorCode, Message, Role
from liminal.factory import LlmServiceFactory
from liminal.plugins import Plugins
from liminal_anthropic.errors import map_anthropic_error
from liminal_anthropic.plugin import liminal_map_error
from support.anthropic_fakes import MODEL, MockApi, message_start, sse
from support.mappings import ANTHROPIC

CREDIT_TOO_LOW = (
    "Your credit balance is too low to access the Anthropic API. "
    "Please go to Plans & Billing to upgrade or purchase credits."
)


http_request = ANTHROPIC.request
response = ANTHROPIC.response
mapped = ANTHROPIC.mapped


def err(message: str, kind: str, error_code: str | None = None) -> dict[str, Any]:
    """Anthropic's error envelope (``error_code`` goes to ``error.details``)."""
    error: dict[str, Any] = {"type": kind, "message": message}
    if error_code is not None:
        error["details"] = {"error_code": error_code}
    return {"type": "error", "error": error, "request_id": "req_body"}


async def sdk_error(
    api: MockApi,
    status: int,
    body: dict[str, Any] | str | None = None,
    headers: dict[str, str] | None = None,
) -> anthropic.APIError:
    """What the SDK raises for this HTTP answer (of the class it picks for ``status``)."""
    if isinstance(body, str):
        api.reply(httpx2.Response(status, text=body, headers=headers))
    else:
        api.reply(httpx2.Response(status, json=body, headers=headers))
    with pytest.raises(anthropic.APIError) as caught:
        await api.service().complete(ChatRequest(MODEL, (Message(Role.USER, "Hi"),)))
    return caught.value


async def stream_error(api: MockApi, event: dict[str, Any] | str) -> anthropic.APIError:
    """What the SDK raises for an ``error`` event inside a 200 stream."""
    data = event if isinstance(event, str) else json.dumps(event)
    api.stream(sse(message_start()) + f"event: error\ndata: {data}\n\n".encode())
    with pytest.raises(anthropic.APIError) as caught:
        async for _ in api.service().stream(ChatRequest(MODEL, (Message(Role.USER, "Hi"),))):
            pass
    return caught.value


# -- HTTP status errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, err("max_tokens: Field required", "invalid_request_error"), "INVALID_REQUEST"),
        (
            400,
            err("prompt is too long: 210345 tokens > 200000 maximum", "invalid_request_error"),
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (400, err(CREDIT_TOO_LOW, "invalid_request_error"), "QUOTA_EXHAUSTED"),
        (400, err("Payment method declined", "billing_error"), "QUOTA_EXHAUSTED"),
        (401, err("invalid x-api-key", "authentication_error"), "AUTH_INVALID"),
        (402, err("There's an issue with your billing", "billing_error"), "QUOTA_EXHAUSTED"),
        (
            403,
            err("Your API key does not have permission", "permission_error"),
            "PERMISSION_DENIED",
        ),
        (404, err("model: claude-9", "not_found_error"), "MODEL_NOT_FOUND"),
        (408, None, "TIMEOUT"),
        (
            413,
            err("Request exceeds the maximum allowed size", "request_too_large"),
            "INVALID_REQUEST",
        ),
        (422, err("bad", "invalid_request_error"), "INVALID_REQUEST"),
        (
            429,
            err("Number of request tokens has exceeded your rate limit", "rate_limit_error"),
            "RATE_LIMITED",
        ),
        (
            429,
            err(
                "This request would exceed the rate limit for your organization. "
                "To increase it, see your plan and billing settings.",
                "rate_limit_error",
            ),
            "RATE_LIMITED",  # mentions billing, but asks for a wait
        ),
        (
            429,
            err(
                "You have reached your organization's monthly spend cap",
                "rate_limit_error",
                "enforced_spend_limit_reached",
            ),
            "QUOTA_EXHAUSTED",
        ),
        (429, err(CREDIT_TOO_LOW, "rate_limit_error"), "QUOTA_EXHAUSTED"),
        (500, err("Internal server error", "api_error"), "SERVER_ERROR"),
        (502, None, "SERVER_ERROR"),
        (503, None, "OVERLOADED"),
        (504, err("Request timed out", "timeout_error"), "SERVER_ERROR"),
        (529, err("Overloaded", "overloaded_error"), "OVERLOADED"),
        (418, None, "UNKNOWN"),
    ],
)
async def test_status_errors(
    api: MockApi, status: int, body: dict[str, Any] | None, code: str
) -> None:
    error = mapped(await sdk_error(api, status, body))
    assert error.code is ErrorCode(code)
    assert error.status == status


async def test_status_error_keeps_message_type_and_request_id(api: MockApi) -> None:
    exc = await sdk_error(
        api,
        400,
        err("temperature: range: 0..1", "invalid_request_error"),
        headers={"request-id": "req_abc"},
    )
    assert isinstance(exc, anthropic.BadRequestError)
    error = mapped(exc)
    assert error.message == "anthropic: temperature: range: 0..1"
    assert error.provider_code == "invalid_request_error"
    assert error.request_id == "req_abc"


async def test_quota_error_gets_the_quota_hint_not_the_invalid_request_one(
    api: MockApi,
) -> None:
    error = mapped(await sdk_error(api, 400, err(CREDIT_TOO_LOW, "invalid_request_error")))
    assert error.code is ErrorCode.QUOTA_EXHAUSTED
    assert "billing" in error.hint
    assert error.exit_code == 4


async def test_status_error_without_json_body_uses_the_sdk_message(api: MockApi) -> None:
    exc = await sdk_error(api, 502, "<html>Bad gateway</html>")
    error = mapped(exc)
    assert error.code is ErrorCode.SERVER_ERROR
    assert "Bad gateway" in error.message


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ],
)
async def test_rate_limit_carries_retry_after(
    api: MockApi, headers: dict[str, str], seconds: float
) -> None:
    exc = await sdk_error(api, 429, err("Rate limited", "rate_limit_error"), headers)
    assert isinstance(exc, anthropic.RateLimitError)
    error = mapped(exc)
    assert error.code is ErrorCode.RATE_LIMITED
    assert error.retry_after == seconds


async def test_rate_limit_retry_after_as_an_http_date(api: MockApi) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    error = mapped(
        await sdk_error(api, 429, err("slow", "rate_limit_error"), {"retry-after": when})
    )
    assert error.retry_after is not None
    assert 28 <= error.retry_after <= 31


async def test_overloaded_529_carries_retry_after_when_sent(api: MockApi) -> None:
    exc = await sdk_error(api, 529, err("Overloaded", "overloaded_error"), {"retry-after": "3"})
    assert isinstance(exc, anthropic.OverloadedError)
    error = mapped(exc)
    assert (error.code, error.retry_after, error.provider_code) == (
        ErrorCode.OVERLOADED,
        3.0,
        "overloaded_error",
    )


async def test_a_key_echoed_in_the_body_is_redacted(api: MockApi) -> None:
    key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx1234"
    error = mapped(
        await sdk_error(api, 401, err(f"invalid x-api-key: {key}", "authentication_error"))
    )
    assert error.code is ErrorCode.AUTH_INVALID
    assert key not in str(error)
    assert key not in repr(error)
    assert "1234" in error.message  # the masked form keeps the last four characters


# -- errors inside a 200 stream (an ``error`` event: APIStatusError with status 200) ----------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (err("Overloaded", "overloaded_error"), "OVERLOADED"),
        (err("Internal server error", "api_error"), "SERVER_ERROR"),
        (err("Rate limited", "rate_limit_error"), "RATE_LIMITED"),
        (err("prompt is too long", "invalid_request_error"), "CONTEXT_LENGTH_EXCEEDED"),
        (err("odd", "mystery_error"), "UNKNOWN"),
    ],
)
async def test_in_stream_error_event(api: MockApi, body: dict[str, Any], code: str) -> None:
    exc = await stream_error(api, body)
    assert isinstance(exc, anthropic.APIStatusError)
    assert exc.status_code == 200
    error = mapped(exc)
    assert error.code is ErrorCode(code)
    assert error.status is None
    assert body["error"]["message"] in error.message


async def test_in_stream_error_event_that_is_not_json_uses_its_text(api: MockApi) -> None:
    exc = await stream_error(api, "upstream went away")
    error = mapped(exc)
    assert error.code is ErrorCode.UNKNOWN
    assert "upstream went away" in error.message


def test_sdk_error_without_a_body_uses_its_message() -> None:
    error = mapped(
        anthropic.APIError("An error occurred during streaming", http_request(), body=None)
    )
    assert error.code is ErrorCode.UNKNOWN
    assert "An error occurred during streaming" in error.message


# -- what the plugin leaves to the core ------------------------------------------------------


def test_sdk_errors_without_a_mapping_are_left_to_the_core() -> None:
    exc = anthropic.AnthropicError("generic")
    assert map_anthropic_error("anthropic", exc) is None
    assert liminal_map_error("anthropic", exc) is None
    factory = LlmServiceFactory(plugins=Plugins(load_entry_points=False))
    assert factory.map_error("anthropic", exc).code is ErrorCode.UNKNOWN


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (httpx2.ReadTimeout("slow"), ErrorCode.TIMEOUT),
        (httpx2.RemoteProtocolError("peer closed connection"), ErrorCode.NETWORK),
    ],
)
def test_transport_exceptions_that_escape_the_sdk_are_mapped_by_the_core(
    exc: BaseException, code: ErrorCode
) -> None:
    # The SDK lets httpx2 errors raised while reading a stream through unwrapped.
    assert liminal_map_error("anthropic", exc) is None
    assert mapped(exc).code is code
    factory = LlmServiceFactory(plugins=Plugins())
    assert factory.map_error("anthropic", exc).code is code


async def test_hook_maps_sdk_exceptions_for_any_provider_id(api: MockApi) -> None:
    exc = await sdk_error(api, 401, err("invalid x-api-key", "authentication_error"))
    error = liminal_map_error("my-claude-proxy", exc)
    assert error is not None
    assert error.code is ErrorCode.AUTH_INVALID
    assert error.provider == "my-claude-proxy"
    assert error.message.startswith("my-claude-proxy: ")
