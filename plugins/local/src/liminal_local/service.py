"""``LocalService``: one engine per local model, spoken to through liminal-openai.

An engine starts on the first request for its model (on a free port of 127.0.0.1, with a
random key of this process, in a child process) and stops when this process exits, also on
Ctrl-C, errors and when this process is killed.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs

from liminal import ChatRequest, ChatResult, ErrorCode, KeyStatus, LiminalError, Secret, StreamEvent
from liminal.provider import Progress, ServiceContext
from liminal_local.models import LocalModel, find_local, gguf_path
from liminal_local.server import Failure, LlamaServer, LlamaServerError
from liminal_openai.service import OpenAIService

__all__ = ["DEFAULT_SAMPLING", "LocalService"]

#: Seconds the model may take to load; ``$LIMINAL_LOCAL_LOAD_TIMEOUT`` overrides.
LOAD_TIMEOUT = 120.0
LOAD_TIMEOUT_ENV = "LIMINAL_LOCAL_LOAD_TIMEOUT"
#: A fixed port for the engine instead of a free one picked at start.
PORT_ENV = "LIMINAL_LOCAL_PORT"
#: Sent when the request does not say: small models ramble and loop without them
#: (docs/providers/local.md, "Default sampling"). ``max_tokens`` defaults to the model's
#: max output.
DEFAULT_SAMPLING: dict[str, float] = {"temperature": 0.2, "top_p": 0.9}
#: Set on the engine: a mild penalty stops SmolLM2 repeating one emoji for 500 tokens.
REPEAT_PENALTY = 1.1


class LocalService:
    """The ``local`` provider's service."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        #: model id -> its engine, the service speaking to it, and the model's settings
        self._servers: dict[str, tuple[LlamaServer, OpenAIService, LocalModel]] = {}
        self._lock = asyncio.Lock()

    async def _backend(self, model_id: str) -> tuple[OpenAIService, LocalModel]:
        async with self._lock:  # two first requests for one model start one engine
            found = self._servers.get(model_id)
            if found is not None and found[0].running:
                return found[1], found[2]
            local = _find(model_id)
            server = await self._start(local)
            backend_context = ServiceContext(
                provider=self.context.provider,
                timeouts=self.context.timeouts,
                model_info=self.context.model_info,
                base_url=server.base_url,
                fixed_key=Secret(server.api_key),
            )
            backend = OpenAIService(backend_context)
            self._servers[model_id] = (server, backend, local)
            return backend, local

    async def _start(self, local: LocalModel) -> LlamaServer:
        """Start the engine for ``local``, reporting progress; errors say what to do."""
        report = self._reporter(local)
        try:
            path = gguf_path(local)
            # One slot: a CLI sends one request at a time, and it gets the whole window.
            server = LlamaServer(
                path,
                alias=local.name,
                ctx_size=local.context_window,
                parallel=1,
                port=_env_number(PORT_ENV, int, None, 65535),
                startup_timeout=_env_number(LOAD_TIMEOUT_ENV, float, LOAD_TIMEOUT, 86400),
                repeat_penalty=REPEAT_PENALTY,
                on_progress=lambda elapsed: report(elapsed, False),
            )
            started = time.monotonic()
            try:
                # Awaited: the loop stays responsive, and Ctrl-C (a cancellation) kills the engine.
                await server.astart()
            finally:
                report(time.monotonic() - started, True)
        except LlamaServerError as exc:
            code = (
                ErrorCode.INVALID_REQUEST if exc.kind is Failure.MODEL else ErrorCode.SERVER_ERROR
            )
            raise LiminalError(
                code,
                exc.message,
                hint=exc.hint,
                provider="local",
                model=local.name,
                retryable=False,  # the same start would fail the same way
            ) from exc
        return server

    def _reporter(self, local: LocalModel) -> Callable[[float, bool], None]:
        activity = f"loading {local.name}"
        try:
            size = gguf_path(local).stat().st_size
            activity += f" ({size / 1e6:,.0f} MB)"
        except (OSError, LlamaServerError):
            pass  # the start reports the missing file

        def report(elapsed: float, done: bool) -> None:
            self.context.on_progress(
                Progress(
                    provider="local",
                    model=local.name,
                    activity=activity,
                    elapsed=elapsed,
                    done=done,
                )
            )

        return report

    def _request(self, request: ChatRequest, local: LocalModel | None = None) -> ChatRequest:
        """The request with the local defaults for what it does not set (``local``: the
        model's settings, when already read)."""
        local = local or _find(request.model)
        defaults: dict[str, Any] = {**DEFAULT_SAMPLING, "max_tokens": local.max_output_tokens}
        return attrs.evolve(request, parameters={**defaults, **request.parameters})

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        # The settings were read when the engine started: no file read per request.
        backend, local = await self._backend(request.model)
        async for event in backend.stream(self._request(request, local)):
            yield event

    async def complete(self, request: ChatRequest) -> ChatResult:
        backend, local = await self._backend(request.model)
        return await backend.complete(self._request(request, local))

    async def validate_key(self, key: Secret) -> KeyStatus:
        return KeyStatus.VALID  # a local server needs no key of the user's

    async def list_remote_models(self) -> list[str]:
        """The local models whose GGUF file is on this machine (what can be served)."""
        from liminal_local.models import local_models

        available = []
        for model in local_models():
            try:
                if gguf_path(model).is_file():
                    available.append(model.name)
            except LlamaServerError:
                continue  # the bundled model's package is not installed
        return available

    async def aclose(self) -> None:
        """Close the HTTP clients and stop the servers this service started."""
        for _, backend, _ in list(self._servers.values()):
            await backend.aclose()
        self.close()

    def close(self) -> None:
        """Stop every server this service started."""
        servers, self._servers = list(self._servers.values()), {}
        for server, _, _ in servers:
            server.stop()


def _find(model_id: str) -> LocalModel:
    local = find_local(model_id)
    if local is None:
        raise LiminalError(
            ErrorCode.MODEL_NOT_FOUND,
            f"{model_id!r} is not a local model",
            hint="see `liminal local list`",
            provider="local",
        )
    return local


def _env_number(name: str, kind: Callable[[str], Any], default: Any, most: float) -> Any:
    """A positive number from the environment, at most ``most``; INVALID_REQUEST otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not 0 < value <= most:  # also refuses NaN
        whole = "whole " if kind is int else ""
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{name}={raw!r} is not a {whole}number between 0 and {most:g}",
            hint=f"set {name} to such a number, or unset it",
            provider="local",
            retryable=False,
        )
    return value
