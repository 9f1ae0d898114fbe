"""A fake provider API behind ``httpx2.MockTransport``, for the SDKs' ``http_client=``.

Shared by the provider plugins' unit tests (respx and pytest-httpx do not intercept the
httpx2-based SDKs); each plugin's fakes add how to build its service.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Generic, TypeVar

import httpx2

from liminal import ModelInfo, ProviderInfo, Secret
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal.provider.service import ServiceContext, Timeouts

Handler = Callable[[httpx2.Request], httpx2.Response]
Api = TypeVar("Api", bound="FakeApi[Any]")
Service = TypeVar("Service")


def registry_of(provider: ProviderInfo, *models: ModelInfo) -> ModelRegistry:
    """A model registry holding ``provider`` and ``models``."""
    providers = ProviderRegistry()
    providers.add(provider)
    registry = ModelRegistry(providers)
    registry.extend(models)
    return registry


def service_context(
    provider: ProviderInfo,
    models: ModelRegistry,
    *,
    base_url: str | None,
    key: str | None,
    timeouts: Timeouts | None = None,
) -> ServiceContext:
    """What the core would hand a provider's service, with ``key`` as its default key."""
    secret = Secret(key) if key is not None else None
    return ServiceContext(
        provider=provider,
        timeouts=timeouts or Timeouts(),
        model_info=models.resolve,
        base_url=base_url,
        default_key=lambda: secret,
    )


class TrackedStream(httpx2.AsyncByteStream):
    """A streamed response body that remembers whether the client closed it.

    ``fail`` is raised after the parts, as a transport raises when the connection drops.
    """

    def __init__(self, parts: Iterable[bytes], fail: BaseException | None = None) -> None:
        self._parts = list(parts)
        self._fail = fail
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self._parts:
            self.sent += 1
            yield part
        if self._fail is not None:
            raise self._fail

    async def aclose(self) -> None:
        self.closed = True


class _Default(enum.Enum):
    """What a ``service`` argument left out stands for: the fake's own value."""

    OWN = enum.auto()


class FakeApi(Generic[Service]):
    """A queue of responses (or handlers, or exceptions to raise) and a log of requests.

    Each provider's fake sets what ``service`` builds: the service class, the provider and its
    catalog, the extra models a test may ask for, and the base URL and key it uses by default.
    """

    service_class: Callable[..., Service]
    provider: ProviderInfo
    catalog: tuple[ModelInfo, ...]
    extra_models: tuple[ModelInfo, ...] = ()
    base_url: str
    unit_key: str

    #: Headers of every streamed answer.
    stream_headers: dict[str, str] = {"content-type": "text/event-stream"}  # noqa: RUF012

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self._queue: list[httpx2.Response | Handler | BaseException] = []
        self.clients: list[httpx2.AsyncClient] = []

    # -- scripting ------------------------------------------------------------------------

    def reply(self: Api, *responses: httpx2.Response | Handler | BaseException) -> Api:
        """Queue answers for the next requests; the last one repeats."""
        self._queue.extend(responses)
        return self

    def json(self: Api, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Api:
        return self.reply(httpx2.Response(status, json=body, headers=headers))

    def stream(self: Api, body: bytes | TrackedStream) -> Api:
        headers = dict(self.stream_headers)
        if isinstance(body, TrackedStream):
            return self.reply(httpx2.Response(200, headers=headers, stream=body))
        return self.reply(httpx2.Response(200, headers=headers, content=body))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if not self._queue:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer) and not isinstance(answer, httpx2.Response):
            return answer(request)
        return answer

    # -- inspection -----------------------------------------------------------------------

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)  # type: ignore[no-any-return]

    def authorization(self, index: int = -1) -> str | None:
        return self.requests[index].headers.get("authorization")

    # -- clients ----------------------------------------------------------------------------

    def service(
        self,
        *,
        base_url: str | _Default | None = _Default.OWN,
        key: str | _Default | None = _Default.OWN,
        timeouts: Timeouts | None = None,
        extra_models: tuple[ModelInfo, ...] | None = None,
    ) -> Service:
        """The provider's service on this fake, as the core would build it (``None``: no base
        URL, the SDK's own; no key)."""
        extras = self.extra_models if extra_models is None else extra_models
        context = service_context(
            self.provider,
            registry_of(self.provider, *self.catalog, *extras),
            base_url=self.base_url if base_url is _Default.OWN else base_url,
            key=self.unit_key if key is _Default.OWN else key,
            timeouts=timeouts,
        )
        return self.service_class(context, http_client=self.http_client())

    def http_client(self) -> httpx2.AsyncClient:
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))
        self.clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()
