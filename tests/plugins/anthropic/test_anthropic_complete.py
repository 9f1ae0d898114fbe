"""AnthropicService without streaming: complete, clients and keys, validate_key, models."""

from __future__ import annotations

import httpx2
import pytest
from anthropic_service_helpers import (
    STOP_REASONS,
    request,
)

from liminal import (
    FinishReason,
    KeyStatus,
    Secret,
    Usage,
)
from liminal.provider.service import Timeouts
from liminal_anthropic.service import AnthropicService
from support.anthropic_fakes import (
    BASE_URL,
    MODEL,
    PROXY_URL,
    UNIT_KEY,
    MockApi,
    error_body,
    message,
)

# -- complete -------------------------------------------------------------------------------


async def test_complete_returns_text_finish_usage_and_request_id(api: MockApi) -> None:
    api.json(
        message(
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            "Hello ",
            "there.",
            stop_reason="max_tokens",
            input_tokens=4,
            output_tokens=2,
            cache_read=20,
            cache_write=3,
        ),
        headers={"request-id": "req_123"},
    )
    result = await api.service().complete(request(max_tokens=2))
    assert result.text == "Hello there."
    assert result.finish_reason is FinishReason.LENGTH
    assert result.raw_finish_reason == "max_tokens"
    assert result.usage == Usage(27, 2)
    assert result.model == MODEL
    assert result.request_id == "req_123"
    body = api.body()
    assert "stream" not in body
    assert body["max_tokens"] == 2


@pytest.mark.parametrize(("raw", "reason"), STOP_REASONS)
async def test_complete_maps_every_stop_reason(
    api: MockApi, raw: str, reason: FinishReason
) -> None:
    api.json(message("x", stop_reason=raw))
    result = await api.service().complete(request())
    assert (result.finish_reason, result.raw_finish_reason) == (reason, raw)


async def test_complete_resolves_aliases_to_the_model_id(api: MockApi) -> None:
    api.json(message("Hi"))
    result = await api.service().complete(request("claude-sonnet"))
    assert api.body()["model"] == "claude-sonnet-5-5"
    assert result.model == "claude-sonnet-5-5"


async def test_complete_with_only_a_tool_call_is_empty_text(api: MockApi) -> None:
    tool = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": 1}}
    api.json(message(tool, stop_reason="tool_use"))
    result = await api.service().complete(request())
    assert result.text == ""
    assert result.finish_reason is FinishReason.TOOL_CALLS


# -- clients, base URLs and keys ------------------------------------------------------------


async def test_a_model_on_its_own_server_is_sent_there(api: MockApi) -> None:
    api.json(message("Hi"))
    await api.service().complete(request("claude-proxied"))
    assert str(api.requests[0].url) == f"{PROXY_URL}/v1/messages"
    assert api.body()["model"] == "claude-proxied"


# -- validate_key ---------------------------------------------------------------------------


async def test_validate_key_valid_uses_the_given_key_on_models(api: MockApi) -> None:
    api.json({"data": [], "has_more": False, "first_id": None, "last_id": None})
    status = await api.service().validate_key(Secret("sk-ant-candidate-key-9999"))
    assert status is KeyStatus.VALID
    assert str(api.requests[0].url).startswith(f"{BASE_URL}/v1/models")
    assert api.authorization() == "Bearer sk-ant-candidate-key-9999"


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "authentication_error"), (403, "permission_error")]
)
async def test_validate_key_invalid(api: MockApi, status: int, kind: str) -> None:
    api.error(status, "invalid x-api-key", kind=kind)
    assert await api.service().validate_key(Secret("sk-ant-bad-key-0000")) is KeyStatus.INVALID


@pytest.mark.parametrize(
    "answer",
    [
        httpx2.Response(500, json=error_body("oops", kind="api_error")),
        httpx2.Response(529, json=error_body("Overloaded", kind="overloaded_error")),
        httpx2.Response(429, json=error_body("slow down", kind="rate_limit_error")),
        httpx2.ConnectError("connection refused"),
        httpx2.ReadTimeout("too slow"),
    ],
    ids=["500", "529", "429", "connect-error", "timeout"],
)
async def test_validate_key_unknown_when_the_answer_says_nothing_about_the_key(
    api: MockApi, answer: httpx2.Response | Exception
) -> None:
    api.reply(answer)
    assert await api.service().validate_key(Secret("sk-ant-some-key-1234")) is KeyStatus.UNKNOWN


async def test_validate_key_without_a_fake_server_is_unknown() -> None:
    from liminal.provider.service import ServiceContext
    from liminal_anthropic.plugin import PROVIDER

    context = ServiceContext(
        provider=PROVIDER,
        timeouts=Timeouts(connect=1.0, idle=1.0),
        model_info=lambda model_id: pytest.fail("no model is resolved"),
        base_url="http://127.0.0.1:9",  # discard port: nothing listens, connection refused
    )
    service = AnthropicService(context)
    assert await service.validate_key(Secret("sk-ant-network-down-01")) is KeyStatus.UNKNOWN


# -- list_remote_models ---------------------------------------------------------------------


def models_page(*ids: str, has_more: bool = False) -> dict[str, object]:
    data = [
        {
            "id": model_id,
            "type": "model",
            "display_name": model_id,
            "created_at": "2026-01-01T00:00:00Z",
        }
        for model_id in ids
    ]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": ids[0] if ids else None,
        "last_id": ids[-1] if ids else None,
    }


async def test_list_remote_models_follows_every_page(api: MockApi) -> None:
    api.json(models_page("claude-opus-5-5", "claude-sonnet-5-5", has_more=True))
    api.json(models_page("claude-haiku-4-5-20251001"))
    ids = await api.service().list_remote_models()
    assert ids == ["claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-4-5-20251001"]
    assert len(api.requests) == 2
    assert api.requests[0].url.path == "/v1/models"
    assert api.requests[1].url.params["after_id"] == "claude-sonnet-5-5"
    assert api.authorization() == f"Bearer {UNIT_KEY}"


async def test_list_remote_models_raises_the_sdk_error(api: MockApi) -> None:
    import anthropic

    api.error(401, "invalid x-api-key", kind="authentication_error")
    with pytest.raises(anthropic.AuthenticationError):
        await api.service().list_remote_models()
