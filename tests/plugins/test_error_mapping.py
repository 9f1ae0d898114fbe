"""What every provider's error mapping does with the SDK's transport and client-side errors.

Each test runs once per provider: its SDK module, its mapper and its plugin hook. The status
errors, whose bodies differ by protocol, are in plugins/<provider>/test_<provider>_errors.py.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from liminal import ErrorCode
from liminal.factory import LlmServiceFactory
from liminal.plugins import Plugins
from support.mappings import MAPPINGS, Mapping

pytestmark = pytest.mark.parametrize("provider", MAPPINGS, ids=lambda m: m.id)


def test_timeout(provider: Mapping) -> None:
    error = provider.mapped(provider.sdk.APITimeoutError(request=provider.request()))
    assert error.code is ErrorCode.TIMEOUT
    assert error.message == f"{provider.id}: the request timed out"


def connection_error(provider: Mapping, cause: Exception | None) -> Any:
    exc = provider.sdk.APIConnectionError(request=provider.request())
    exc.__cause__ = cause  # as ``raise APIConnectionError(...) from cause`` in the SDK
    return exc


def test_connection_refused_names_the_host_and_the_cause(provider: Mapping) -> None:
    error = provider.mapped(connection_error(provider, httpx2.ConnectError("refused")))
    assert error.code is ErrorCode.NETWORK
    assert error.message == f"{provider.id}: could not connect to {provider.host} (ConnectError)"


@pytest.mark.parametrize("cause", [httpx2.RemoteProtocolError, httpx2.ReadError])
def test_a_connection_dropped_after_connecting_is_not_called_a_failure_to_connect(
    provider: Mapping, cause: type[Exception]
) -> None:
    error = provider.mapped(connection_error(provider, cause("peer closed connection")))
    assert error.code is ErrorCode.NETWORK
    expected = f"{provider.id}: lost the connection to {provider.host} ({cause.__name__})"
    assert error.message == expected


def test_connection_error_without_a_cause(provider: Mapping) -> None:
    error = provider.mapped(connection_error(provider, None))
    assert error.code is ErrorCode.NETWORK
    assert error.message.endswith(provider.host)


def test_response_validation_error_is_a_server_error(provider: Mapping) -> None:
    body = {"nonsense": True}
    response = httpx2.Response(200, json=body, request=provider.request())
    error = provider.mapped(provider.sdk.APIResponseValidationError(response, body))
    assert error.code is ErrorCode.SERVER_ERROR
    assert error.status == 200


def test_hook_ignores_exceptions_from_other_libraries(provider: Mapping) -> None:
    assert provider.hook(provider.id, ValueError("not ours")) is None
    assert provider.hook(provider.id, httpx2.ConnectError("refused")) is None


def test_the_plugin_wins_over_the_core_fallback(provider: Mapping) -> None:
    factory = LlmServiceFactory(plugins=Plugins())
    exc = provider.sdk.APITimeoutError(request=provider.request())
    error = factory.map_error(provider.id, exc)
    assert error.code is ErrorCode.TIMEOUT
    assert error.message == f"{provider.id}: the request timed out"
    assert error.__cause__ is exc
