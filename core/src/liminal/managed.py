"""The core's wrapper around every provider service call.

Keys, retries, deadlines, error mapping and the stream invariant live here,
so a provider plugin only speaks its SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

import attrs

from liminal.breaker import CircuitBreaker
from liminal.errors import ErrorCode, LiminalError
from liminal.keys.pool import ApiKeyManager, KeyEntry, key_scope
from liminal.keys.secret import Secret
from liminal.parameters import check_parameters
from liminal.provider.service import LlmService, Timeouts, _current_key
from liminal.retry import RetryNotice, RetryPolicy, decide
from liminal.types import (
    ChatRequest,
    ChatResult,
    Finish,
    KeyStatus,
    ModelInfo,
    ProviderInfo,
    StreamEvent,
    TextDelta,
    Usage,
)
from liminal.watchdog import Watchdog

__all__ = ["ManagedService"]

log = logging.getLogger("liminal")
#: The longest wait for a provider's exact token count before the estimate answers.
COUNT_TIMEOUT = 5.0
T = TypeVar("T")

#: Failures that, after the first token, mean the stream broke (not a provider verdict).
_BROKEN_STREAM = frozenset(
    {
        ErrorCode.NETWORK,
        ErrorCode.TIMEOUT,
        ErrorCode.UNKNOWN,
        ErrorCode.SERVER_ERROR,
        ErrorCode.STREAM_INTERRUPTED,
    }
)

#: Seconds a key sits out after QUOTA_EXHAUSTED without a Retry-After.
QUOTA_COOLDOWN = 3600.0


@attrs.define
class _Attempts:
    """The bookkeeping of one call's attempts: which key, how many, since when."""

    owner: ManagedService
    model: ModelInfo
    #: The call's total deadline in seconds.
    total: float
    started: float = attrs.field(factory=time.monotonic)
    delays: Iterator[float] = attrs.field(init=False)
    invalid: set[tuple[str, str, str]] = attrs.field(factory=set)
    number: int = 0
    entry: KeyEntry | None = None

    def __attrs_post_init__(self) -> None:
        self.delays = self.owner.policy.backoff_delays()

    @property
    def deadline(self) -> float:
        """When the call must be over (``time.monotonic`` clock)."""
        return self.started + self.total

    def begin(self) -> Secret | None:
        """Start the next attempt: pick its key (NO_KEY when none) and ask the breaker."""
        self.number += 1
        self.entry = self.owner._first_key(self.model, self.invalid)
        self.owner.breaker.before_call()
        return self.entry.secret if self.entry else None

    def succeeded(self) -> None:
        self.owner.breaker.record(None)
        if self.entry is not None:
            self.owner.keys.mark_valid(self.entry)

    def failed(self, exc: BaseException) -> LiminalError:
        error = self.owner._as_error(exc, self.model)
        self.owner.breaker.record(error)
        return error


class ManagedService:
    """A provider's :class:`~liminal.provider.service.LlmService` as the core exposes it."""

    def __init__(
        self,
        *,
        provider: ProviderInfo,
        service: LlmService,
        resolve: Callable[[str], ModelInfo],
        map_error: Callable[[str, BaseException], LiminalError],
        keys: ApiKeyManager,
        policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        breaker: CircuitBreaker | None = None,
        timeouts_for: Callable[[ModelInfo], Timeouts] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.provider = provider
        self.service = service
        self._resolve = resolve
        self._map_error = map_error
        self.keys = keys
        self.policy = policy or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self._on_retry = on_retry
        self._sleep = sleep
        self.breaker = breaker or CircuitBreaker(provider.id)
        self._timeouts_for = timeouts_for or (lambda model: self.timeouts)

    # -- keys -----------------------------------------------------------------

    def key_pool(self, model: ModelInfo | None = None) -> str:
        """The name of the key pool ``model`` draws from (``--key`` and ``keys set`` use it)."""
        return key_scope(self.provider, model).pool

    def key_candidates(self, model: ModelInfo | None = None) -> list[KeyEntry]:
        scope = key_scope(self.provider, model)
        return self.keys.candidates(scope.pool, scope.env_vars)

    def _first_key(
        self, model: ModelInfo | None, exclude: set[tuple[str, str, str]]
    ) -> KeyEntry | None:
        if not self.provider.requires_key:
            return None  # e.g. a local server: a broken key file must not block it
        for entry in self.key_candidates(model):
            if entry.ident not in exclude:
                return entry
        scope = key_scope(self.provider, model)
        if scope.required:
            target = model.id if model and model.base_url else self.provider.display_name
            where = " or ".join(v for v in scope.env_vars if v) or "a stored key"
            raise LiminalError(
                ErrorCode.NO_KEY,
                f"no usable API key for {target}",
                hint=f"run `liminal keys set {scope.pool}` or set {where}",
                provider=self.provider.id,
                model=model.id if model else None,
            )
        return None

    def _has_other_key(self, model: ModelInfo, entry: KeyEntry | None, *, healthy: bool) -> bool:
        for other in self.key_candidates(model):
            if entry is not None and other.ident == entry.ident:
                continue
            if healthy and (self.keys.cooling_for(other) > 0 or self.keys.is_invalid(other)):
                continue
            return True
        return False

    # -- validation -----------------------------------------------------------

    def check(self, request: ChatRequest) -> tuple[ChatRequest, ModelInfo]:
        """``request`` with its model resolved to the id (never an alias), and that model.

        :raises LiminalError: what would refuse the request before anything is sent: an
            unknown model, a parameter the model does not accept, no messages.
        """
        model = self._resolve(request.model)
        check_parameters(model, request.parameters, provider=self.provider.id)
        if not request.messages:
            raise LiminalError(
                ErrorCode.INVALID_REQUEST,
                "the request has no messages",
                hint="give a prompt",
                provider=self.provider.id,
                model=model.id,
            )
        if request.model != model.id:
            request = attrs.evolve(request, model=model.id)
        return request, model

    # -- failure handling -------------------------------------------------------

    def _as_error(self, exc: BaseException, model: ModelInfo) -> LiminalError:
        if isinstance(exc, LiminalError):
            error = exc
        else:
            error = self._map_error(self.provider.id, exc)
            if error.__cause__ is None:
                error.__cause__ = exc
        if error.model is None or error.provider is None:
            cause = error.__cause__
            error = error.evolve(
                model=error.model or model.id, provider=error.provider or self.provider.id
            )
            error.__cause__ = cause
        return error

    def _after_failure(self, error: LiminalError, attempts: _Attempts) -> float:
        """Seconds to wait before the next attempt, or raise ``error`` (possibly reworded).

        The call's own deadline (``attempts.total``) bounds the retries: none is started
        that it would cut short.
        """
        model, entry, attempt = attempts.model, attempts.entry, attempts.number
        code = error.code
        if entry is not None and code is ErrorCode.AUTH_INVALID:
            self.keys.mark_invalid(entry)
            attempts.invalid.add(entry.ident)
            if self._has_other_key(model, entry, healthy=False):
                log.warning(
                    "key %s for %s was rejected; trying the next key", entry.label, entry.provider
                )
                return 0.0
            raise error
        if entry is not None and code is ErrorCode.QUOTA_EXHAUSTED:
            self.keys.cool_down(entry, error.retry_after or QUOTA_COOLDOWN, code.value)
            if self._has_other_key(model, entry, healthy=True):
                return 0.0
            raise error
        policy = self.policy
        if attempts.total < policy.deadline:
            policy = attrs.evolve(policy, deadline=attempts.total)
        decision = decide(
            error,
            policy=policy,
            attempt=attempt,
            elapsed=time.monotonic() - attempts.started,
            backoff_delay=next(attempts.delays),
        )
        if entry is not None and code is ErrorCode.RATE_LIMITED:
            self.keys.cool_down(entry, error.retry_after or decision.delay, code.value)
            if attempt < self.policy.max_attempts and self._has_other_key(
                model, entry, healthy=True
            ):
                return 0.0
        if not decision.retry:
            if code is ErrorCode.RATE_LIMITED and error.retry_after is not None:
                wait = f"the provider asks to retry in {error.retry_after:.0f} s"
                raise error.evolve(message=f"{error.message} ({wait})")
            if error.retryable and attempt > 1:
                raise error.evolve(message=f"{error.message} ({decision.reason})")
            raise error
        notice = RetryNotice(
            self.provider.id,
            model.id,
            code,
            decision.delay,
            attempt + 1,
            self.policy.max_attempts,
            error.message,
        )
        log.info(notice.describe())
        if self._on_retry is not None:
            self._on_retry(notice)
        return decision.delay

    # -- calls -------------------------------------------------------------------

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Events of one answer: ``TextDelta``…, ``Usage``, then exactly one ``Finish``."""
        request, model = self.check(request)
        timeouts = self._timeouts_for(model)
        attempts = _Attempts(self, model, request.timeout or timeouts.total)
        while True:
            key = attempts.begin()
            partial: list[str] = []
            try:
                # aclosing: a consumer that stops early closes the provider's stream now,
                # not at garbage collection.
                async with contextlib.aclosing(
                    self._one_stream(request, model, key, attempts.deadline, timeouts.idle, partial)
                ) as events:
                    async for event in events:
                        yield event
                attempts.succeeded()
                return
            except (asyncio.CancelledError, GeneratorExit):
                self.breaker.abandon()
                raise
            except Exception as exc:
                error = attempts.failed(exc)
                if partial:
                    raise self._interrupted(error, "".join(partial)) from exc
                delay = self._after_failure(error, attempts)
            if delay:
                await self._sleep(delay)

    async def _one_stream(
        self,
        request: ChatRequest,
        model: ModelInfo,
        key: Secret | None,
        deadline: float,
        idle: float,
        partial: list[str],
    ) -> AsyncGenerator[StreamEvent, None]:
        loop = asyncio.get_running_loop()
        total_at = deadline + (loop.time() - time.monotonic())
        inner = self.service.stream(request).__aiter__()
        finish: Finish | None = None
        # One timer for the whole stream, not a timeout context per chunk.
        watchdog = Watchdog(loop, idle, total_at)
        try:
            while True:
                # The key is visible to the provider only while it runs, never to the consumer
                # between two events.
                token = _current_key.set(key)
                watchdog.waiting()
                try:
                    event = await inner.__anext__()
                except StopAsyncIteration:
                    break
                except asyncio.CancelledError:
                    if watchdog.expired():
                        raise self._timeout(
                            model, tripped_total=watchdog.tripped_total, idle=idle
                        ) from None
                    raise
                finally:
                    watchdog.since = None
                    _current_key.reset(token)
                if isinstance(event, TextDelta):
                    if event.text and finish is None:
                        partial.append(event.text)
                        yield event
                elif isinstance(event, Usage):
                    yield event
                elif isinstance(event, Finish):
                    finish = finish or event
        finally:
            watchdog.close()
            aclose = getattr(inner, "aclose", None)
            if aclose is not None:
                token = _current_key.set(key)
                try:
                    await aclose()
                finally:
                    _current_key.reset(token)
        if finish is None:
            raise LiminalError(
                ErrorCode.STREAM_INTERRUPTED,
                f"the stream from {self.provider.display_name} ended without finishing",
                provider=self.provider.id,
                model=model.id,
                partial_text="".join(partial),
            )
        yield finish

    def _timeout(self, model: ModelInfo, *, tripped_total: bool, idle: float) -> LiminalError:
        if tripped_total:
            message = f"{self.provider.display_name} did not finish within the total deadline"
            hint = "raise the total deadline with --timeout, or try again"
        else:
            message = f"no data from {self.provider.display_name} for {idle:g} s (idle timeout)"
            # --timeout sets the total only: an idle limit is raised in config.json.
            hint = (
                "raise the idle limit in config.json, e.g. "
                f'{{"timeouts": {{"{self.provider.id}": {{"idle": {max(idle * 2, 120):g}}}}}}}, '
                "or try again"
            )
        return LiminalError(
            ErrorCode.TIMEOUT, message, hint=hint, provider=self.provider.id, model=model.id
        )

    def _interrupted(self, error: LiminalError, partial: str) -> LiminalError:
        if error.code in _BROKEN_STREAM:
            return error.evolve(
                code=ErrorCode.STREAM_INTERRUPTED,
                message=f"{error.message} (after {len(partial)} characters of the answer)",
                hint=None
                if error.code is ErrorCode.STREAM_INTERRUPTED
                else "the answer was cut off; what arrived was kept",
                partial_text=partial,
            )
        return error.evolve(partial_text=partial)

    async def complete(self, request: ChatRequest) -> ChatResult:
        """One whole answer, without streaming, with the same retries and key handling."""
        request, model = self.check(request)
        total = request.timeout or self._timeouts_for(model).total
        return await self._call(model, lambda: self.service.complete(request), total)

    async def _call(self, model: ModelInfo, op: Callable[[], Awaitable[T]], total: float) -> T:
        attempts = _Attempts(self, model, total)
        while True:
            token = _current_key.set(attempts.begin())
            try:
                remaining = max(attempts.deadline - time.monotonic(), 0.001)
                result = await asyncio.wait_for(op(), remaining)
                attempts.succeeded()
                return result
            except asyncio.CancelledError:
                self.breaker.abandon()
                raise
            except (TimeoutError, asyncio.TimeoutError) as exc:
                timeout = self._timeout(model, tripped_total=True, idle=0)
                self.breaker.record(timeout)
                raise timeout from exc
            except Exception as exc:
                delay = self._after_failure(attempts.failed(exc), attempts)
            finally:
                _current_key.reset(token)
            if delay:
                await self._sleep(delay)

    async def count_tokens(self, request: ChatRequest) -> int | None:
        """The provider's own count of ``request``'s input tokens, where its service can count
        (the optional ``count_tokens`` method), with the key the request would use; None when
        it cannot. Counting is an optimisation: one attempt, at most :data:`COUNT_TIMEOUT`,
        and a failure is never the turn's failure."""
        count = getattr(self.service, "count_tokens", None)
        if count is None:
            return None
        try:
            request, model = self.check(request)
            entry = self._first_key(model, set())
        except LiminalError:
            return None
        token = _current_key.set(entry.secret if entry is not None else None)
        try:
            counted = await asyncio.wait_for(count(request), COUNT_TIMEOUT)
        except Exception as exc:
            log.debug("no exact token count for %s: %s", model.id, type(exc).__name__)
            return None
        finally:
            _current_key.reset(token)
        return int(counted) if counted is not None else None

    async def aclose(self) -> None:
        """Let the provider service close its connections (if it keeps any)."""
        aclose = getattr(self.service, "aclose", None)
        if aclose is not None:
            await aclose()

    async def validate_key(self, key: Secret) -> KeyStatus:
        """VALID, INVALID or UNKNOWN; network trouble is never INVALID."""
        try:
            return await asyncio.wait_for(
                self.service.validate_key(key), self.timeouts.connect + self.timeouts.idle
            )
        except Exception as exc:
            error = (
                self._map_error(self.provider.id, exc) if not isinstance(exc, LiminalError) else exc
            )
            if error.code in (ErrorCode.AUTH_INVALID, ErrorCode.PERMISSION_DENIED):
                return KeyStatus.INVALID
            return KeyStatus.UNKNOWN

    async def list_remote_models(self) -> list[str]:
        """Model ids the configured key can access (``GET /v1/models``)."""
        placeholder = ModelInfo(
            id="*",
            provider=self.provider.id,
            display_name="*",
            context_window=1,
            max_output_tokens=1,
        )
        return await self._call(placeholder, self.service.list_remote_models, self.timeouts.total)
