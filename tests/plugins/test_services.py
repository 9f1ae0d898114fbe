"""What every provider's service does with its SDK client, against the provider's fake API.

Each test runs once per provider (``provider``: the ids of ``support.fakes.PROVIDERS``); what
only one provider's service does is in plugins/<provider>/.
"""

from __future__ import annotations

import httpx2
import pytest

from liminal import ChatRequest, ErrorCode, LiminalError, Message, Role, Secret
from liminal.provider.service import Timeouts
from support.fakeapi import FakeApi
from support.fakes import PROVIDERS, FakeProvider

pytestmark = pytest.mark.parametrize("provider", PROVIDERS)


@pytest.fixture
def wire(provider: str) -> FakeProvider:
    return PROVIDERS[provider]


def ask(wire: FakeProvider) -> ChatRequest:
    return ChatRequest(wire.model, (Message(Role.USER, "Say hello"),))


async def test_client_has_no_sdk_retries_and_the_configured_timeouts(
    api: FakeApi, wire: FakeProvider
) -> None:
    service = api.service(timeouts=Timeouts(connect=3.0, idle=0.5, total=9.0))
    client = service.client(wire.base_url)
    assert client.max_retries == 0
    timeout = client.timeout
    assert isinstance(timeout, httpx2.Timeout)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (3.0, 0.5, 0.5, 3.0)


async def test_one_cached_client_per_base_url(api: FakeApi, wire: FakeProvider) -> None:
    service = api.service()
    assert service.client(wire.base_url) is service.client(wire.base_url)
    assert service.client(wire.base_url) is not service.client("https://proxy.example.test/v1")


async def test_no_base_url_means_the_sdk_default(api: FakeApi, wire: FakeProvider) -> None:
    api.json(wire.whole())
    await api.service(base_url=None).complete(ask(wire))
    assert api.requests[0].url.host == wire.sdk_host


async def test_the_key_is_read_per_request_from_the_core(api: FakeApi, wire: FakeProvider) -> None:
    from liminal.provider.service import _current_key

    api.json(wire.whole())
    service = api.service()
    token = _current_key.set(Secret("sk-pool-key-two-0002"))
    try:
        await service.complete(ask(wire))
    finally:
        _current_key.reset(token)
    await service.complete(ask(wire))
    assert api.authorization(0) == "Bearer sk-pool-key-two-0002"
    assert api.authorization(1) == f"Bearer {wire.unit_key}"


async def test_without_any_key_nothing_is_sent(api: FakeApi, wire: FakeProvider) -> None:
    api.json(wire.whole())
    with pytest.raises(LiminalError) as caught:
        await api.service(key=None).complete(ask(wire))
    assert caught.value.code is ErrorCode.NO_KEY
    assert api.requests == []


async def test_a_web_page_instead_of_the_api_is_a_server_error(
    api: FakeApi, wire: FakeProvider
) -> None:
    # A wrong base URL typically lands on an HTML page that answers 200.
    page = httpx2.Response(200, headers={"content-type": "text/html"}, content=b"<html></html>")
    api.reply(page)
    with pytest.raises(LiminalError) as streamed:
        [event async for event in api.service().stream(ask(wire))]  # type: ignore[attr-defined]
    assert streamed.value.code is ErrorCode.SERVER_ERROR
    assert "text/html instead of an event stream" in streamed.value.message
    with pytest.raises(LiminalError) as whole:
        await api.service().complete(ask(wire))
    assert whole.value.code is ErrorCode.SERVER_ERROR
    assert "not JSON" in whole.value.message
