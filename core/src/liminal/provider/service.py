"""The provider contract (``LlmService``) and what the core hands each service."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Callable
from typing import Generic, Protocol, TypeVar, runtime_checkable

import attrs

from liminal.errors import ErrorCode, LiminalError
from liminal.keys.secret import Secret
from liminal.types import ChatRequest, ChatResult, KeyStatus, ModelInfo, ProviderInfo, StreamEvent

__all__ = ["ClientPool", "LlmService", "Progress", "ServiceContext", "Timeouts", "current_key"]


@attrs.frozen
class Timeouts:
    """Seconds. ``idle`` is the longest silence allowed between two chunks."""

    connect: float = 10.0
    idle: float = 60.0
    total: float = 600.0

    def for_http(self, *, whole_answer: float | None = None) -> dict[str, float]:
        """``connect``/``read``/``write``/``pool`` for an HTTP client. ``read`` is the
        longest silence between two chunks; the core enforces ``total`` itself. For a
        non-streaming call pass ``whole_answer`` (its total): nothing arrives before the
        answer is done, so that is how long a read may wait."""
        read = self.idle if whole_answer is None else whole_answer
        return {"connect": self.connect, "read": read, "write": self.idle, "pool": self.connect}


@runtime_checkable
class LlmService(Protocol):
    """What a provider plugin implements. It speaks only its SDK.

    The core wraps every call: retries, timeouts, key supply, error mapping
    and the stream invariant live in :mod:`liminal.managed`.
    """

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def complete(self, request: ChatRequest) -> ChatResult: ...

    async def validate_key(self, key: Secret) -> KeyStatus: ...

    async def list_remote_models(self) -> list[str]: ...

    # Optional: ``async def aclose(self) -> None`` closes kept connections; the core calls
    # it (through ``LlmServiceFactory.aclose``) before the event loop that used them ends.
    #
    # Optional: ``async def count_tokens(self, request: ChatRequest) -> int | None``, the
    # provider's exact count of the request's input tokens. The core calls it with the key
    # chosen as for a request (``context.api_key()``), once per turn, only when the user asked
    # for exact counts; None or an exception leaves the count to the core's estimate.


class _Unset:
    """No attempt in progress (as opposed to an attempt the core runs without a key)."""


_UNSET = _Unset()
_current_key: contextvars.ContextVar[Secret | _Unset | None] = contextvars.ContextVar(
    "liminal_current_key", default=_UNSET
)
#: Sent where an SDK insists on some key but the target needs none (a local server).
NO_KEY_PLACEHOLDER = "no-key"


def current_key() -> Secret | None:
    """The key the core chose for the attempt in progress (None outside one or keyless)."""
    key = _current_key.get()
    return None if isinstance(key, _Unset) else key


@attrs.frozen
class Progress:
    """Slow work a service does before it can answer, e.g. loading a local model.

    A service reports it through :attr:`ServiceContext.on_progress` several times a second
    while the work lasts, then once with ``done=True`` (also when it failed). Services print
    nothing themselves: the caller (the CLI, a UI) decides what to show.
    """

    provider: str
    model: str
    #: What is happening, for people: ``loading smollm2 (105 MB)``.
    activity: str
    #: Seconds since the work began.
    elapsed: float
    done: bool = False


def _ignore_progress(progress: Progress) -> None:
    """The default: nobody is listening."""


@attrs.frozen
class ServiceContext:
    """Everything the core gives a provider service when it builds it."""

    provider: ProviderInfo
    timeouts: Timeouts
    #: Resolves a model id or alias to its :class:`ModelInfo` (for per-model base URLs).
    model_info: Callable[[str], ModelInfo]
    #: The provider's base URL after config and env overrides (None: the SDK default).
    base_url: str | None = None
    #: Keys for ``validate_key``/``list_remote_models`` outside a request.
    default_key: Callable[[], Secret | None] = lambda: None
    #: A key the plugin owns (e.g. of a server it started): always used, never the user's.
    fixed_key: Secret | None = None
    #: Where the service reports slow preparation (see :class:`Progress`).
    on_progress: Callable[[Progress], None] = _ignore_progress

    async def api_key(self) -> str:
        """The key for the current request; pass this callable as the SDK's ``api_key``."""
        if self.fixed_key is not None:
            return self.fixed_key.reveal()
        key = _current_key.get()
        if key is None:
            # The core chose no key for this attempt (a keyless target): never fall back to
            # the provider's key, which must not reach a server it does not belong to.
            return NO_KEY_PLACEHOLDER
        if isinstance(key, _Unset):
            key = self.default_key()
        if key is None:
            if not self.provider.requires_key:
                return NO_KEY_PLACEHOLDER
            raise LiminalError(
                ErrorCode.NO_KEY,
                f"no API key configured for {self.provider.id}",
                provider=self.provider.id,
            )
        return key.reveal()

    def base_url_for(self, model_id: str) -> str | None:
        info = self.model_info(model_id)
        return info.base_url or self.base_url


C = TypeVar("C")


class ClientPool(Generic[C]):
    """One SDK client per base URL, shared by a service's requests, closed together.

    ``build`` makes the client for a base URL; clients need an async ``close()``.
    """

    def __init__(self, build: Callable[[str | None], C]) -> None:
        self._build = build
        self._clients: dict[str | None, C] = {}

    def get(self, base_url: str | None) -> C:
        client = self._clients.get(base_url)
        if client is None:
            client = self._clients[base_url] = self._build(base_url)
        return client

    async def aclose(self) -> None:
        """Close every client in the running event loop (the one that used them)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()  # type: ignore[attr-defined]
