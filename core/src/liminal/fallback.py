"""A fallback chain of models, used only before the first token of an answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence

import attrs

from liminal.breaker import OUTAGE_CODES
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.types import ChatRequest, ChatResult, StreamEvent, TextDelta

__all__ = ["FAILOVER_CODES", "FallbackChain", "FallbackNotice"]

#: Failures after which the next model of the chain is tried: the target is down, slow,
#: out of quota or unusable with the keys at hand. Not failures of the request itself.
FAILOVER_CODES = OUTAGE_CODES | {
    ErrorCode.RATE_LIMITED,
    ErrorCode.QUOTA_EXHAUSTED,
    ErrorCode.NO_KEY,
    ErrorCode.AUTH_INVALID,
    ErrorCode.PERMISSION_DENIED,
}


@attrs.frozen
class FallbackNotice:
    failed: str
    next: str
    error: LiminalError
    dropped_parameters: tuple[str, ...] = ()

    def describe(self) -> str:
        dropped = (
            f" (without {', '.join(self.dropped_parameters)}, which it does not accept)"
            if self.dropped_parameters
            else ""
        )
        return (
            f"{self.failed} failed ({self.error.code.value}: {self.error.message}); "
            f"falling back to {self.next}{dropped}"
        )


class FallbackChain:
    """Streams from the first model of ``[request.model, *fallbacks]`` that answers.

    ``answered_by`` names the model that produced the answer.
    """

    def __init__(
        self,
        factory: LlmServiceFactory,
        fallbacks: Sequence[str],
        on_fallback: Callable[[FallbackNotice], None] | None = None,
    ) -> None:
        self.factory = factory
        self.fallbacks = [factory.model(name).id for name in fallbacks]
        self.on_fallback = on_fallback
        self.answered_by: str | None = None

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        chain = self._chain(request)
        current = request
        for index, model_id in enumerate(chain):
            self.answered_by = model_id
            started = False
            try:
                async for event in self.factory.for_model(model_id).stream(current):
                    started = started or isinstance(event, TextDelta)
                    yield event
                return
            except LiminalError as error:
                last = index == len(chain) - 1
                if started or last or error.code not in FAILOVER_CODES:
                    raise
                current = self._next(request, chain, index, error)

    async def complete(self, request: ChatRequest) -> ChatResult:
        """The non-streaming form: the next model is tried when one fails."""
        chain = self._chain(request)
        current = request
        for index, model_id in enumerate(chain):
            self.answered_by = model_id
            try:
                return await self.factory.for_model(model_id).complete(current)
            except LiminalError as error:
                if index == len(chain) - 1 or error.code not in FAILOVER_CODES:
                    raise
                current = self._next(request, chain, index, error)
        raise AssertionError("unreachable: the chain is never empty")

    def _chain(self, request: ChatRequest) -> list[str]:
        chain = [self.factory.model(request.model).id]
        return chain + [m for m in self.fallbacks if m not in chain]

    def _next(
        self, request: ChatRequest, chain: list[str], index: int, error: LiminalError
    ) -> ChatRequest:
        current, dropped = self._retarget(request, chain[index + 1])
        if self.on_fallback is not None:
            self.on_fallback(FallbackNotice(chain[index], chain[index + 1], error, dropped))
        return current

    def _retarget(self, request: ChatRequest, model_id: str) -> tuple[ChatRequest, tuple[str, ...]]:
        accepted = set(self.factory.model(model_id).parameters)
        kept = {k: v for k, v in request.parameters.items() if k in accepted}
        dropped = tuple(sorted(set(request.parameters) - accepted))
        return attrs.evolve(request, model=model_id, parameters=kept), dropped
