"""The Starlette application: the page, its static files and a small JSON API.

    GET  /                         the page
    GET  /static/...               its CSS and JS modules
    GET  /api/models               every installed model, grouped by provider
    POST /api/select               {"model", "cid"?}: the persisted default; switches ``cid``
    GET  /api/conversations        the stored conversations, newest first
    GET  /api/conversations/{cid}  one of them, every message
    POST /api/chat                 {"text", "model", "cid"?, "options"?}: the answer as SSE
    POST /api/turns/{turn}/stop    end a running answer; what arrived is kept

Errors are ``{"error": {"code", "message", "hint"}}`` with a 4xx/5xx status, never a
traceback. No response carries a key: models say only whether one is at hand.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from liminal.conversation import Conversation
from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory
from liminal.keys.pool import key_scope
from liminal.store import ConversationStore
from liminal.ui import ModelChoice, ModelSelector
from liminal.web.turns import Turns, error_json, report_progress, report_retry

__all__ = ["STATIC", "create_app"]

log = logging.getLogger("liminal.web")

STATIC = Path(__file__).parent / "static"
#: The page loads only its own scripts and styles, and talks only to its own server.
_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
_STATUS = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.MODEL_NOT_FOUND: 404,
    ErrorCode.NO_KEY: 400,
    ErrorCode.PERMISSION_DENIED: 403,
}
#: The longest message the API accepts (characters): larger is a mistake, not a prompt.
MAX_TEXT = 1_000_000


class WebApp:
    """The state behind the routes: one factory (services, the local engine), one store."""

    def __init__(
        self,
        factory: LlmServiceFactory,
        store: ConversationStore,
        parameters: Mapping[str, Any],
    ) -> None:
        self.factory = factory
        self.store = store
        self.parameters = dict(parameters)
        self.selector = ModelSelector(factory.plugins, factory.keys)
        self.turns = Turns()

    async def index(self, request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=_HEADERS)

    async def models(self, request: Request) -> Response:
        groups = self.selector.groups()
        selected = self.selector.selected()
        return JSONResponse(
            {
                "selected": selected.id if selected else None,
                "groups": [
                    {
                        "provider": g.provider.id,
                        "name": g.provider.display_name,
                        "models": [self._choice(c) for c in g.choices],
                    }
                    for g in groups
                ],
            }
        )

    def _choice(self, choice: ModelChoice) -> dict[str, Any]:
        model = choice.model
        scope = key_scope(self.factory.plugins.providers.get(model.provider), model)
        return {
            "id": model.id,
            "name": model.display_name,
            "context_window": model.context_window,
            "max_output_tokens": model.max_output_tokens,
            "capabilities": choice.capabilities,
            "aliases": list(model.aliases),
            "deprecated": model.deprecated,
            "key_available": choice.key_available,
            "key_command": None if choice.key_available else f"liminal keys set {scope.pool}",
            "selected": choice.selected,
        }

    async def select(self, request: Request) -> Response:
        body = await _json_body(request)
        model = self.selector.select(_text_field(body, "model"))
        switched = None
        cid = body.get("cid")
        if cid:
            conversation = Conversation.open(self.factory, self.store, cid=str(cid))
            switched = conversation.switch_model(model.id).describe()
        return JSONResponse({"model": model.id, "switched": switched})

    async def conversations(self, request: Request) -> Response:
        return JSONResponse(
            [
                {"id": cid, "updated": updated, "messages": count, "title": title[:80]}
                for cid, updated, count, title in self.store.list()
            ]
        )

    async def conversation(self, request: Request) -> Response:
        stored = self.store.get(request.path_params["cid"])
        return JSONResponse(
            {
                "id": stored.id,
                "model": stored.model,
                "system": stored.system,
                "messages": [
                    {
                        "role": m.role.value,
                        "content": m.content,
                        "model": m.model,
                        "status": m.status,
                    }
                    for m in stored.messages
                ],
            }
        )

    async def chat(self, request: Request) -> Response:
        body = await _json_body(request)
        text = _text_field(body, "text")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise LiminalError(
                ErrorCode.INVALID_REQUEST,
                "options must be an object",
                hint='e.g. {"max_tokens": 200}',
            )
        cid = body.get("cid") or None
        conversation = Conversation.open(
            self.factory,
            self.store,
            model_name=_text_field(body, "model"),
            cid=str(cid) if cid else None,
            parameters={**self.parameters, **options},
        )
        return StreamingResponse(
            self.turns.stream(conversation, text, {}),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def stop(self, request: Request) -> Response:
        return JSONResponse({"stopped": self.turns.stop(request.path_params["turn"])})


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            "the request body must be JSON",
            hint="send Content-Type: application/json",
        )
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST, f"the request body is not valid JSON: {exc}"
        ) from exc
    if not isinstance(body, dict):
        raise LiminalError(ErrorCode.INVALID_REQUEST, "the request body must be a JSON object")
    return body


def _text_field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{name!r} is required: a non-empty string",
            hint=f'e.g. {{"{name}": "…"}}',
        )
    if len(value) > MAX_TEXT:
        raise LiminalError(ErrorCode.INVALID_REQUEST, f"{name!r} is too long")
    return value


async def _liminal_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LiminalError)
    return JSONResponse({"error": error_json(exc)}, status_code=_STATUS.get(exc.code, 502))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = ErrorCode.MODEL_NOT_FOUND if exc.status_code == 404 else ErrorCode.INVALID_REQUEST
    message = "no such page" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(
        {"error": {"code": code.value, "message": message, "hint": None}},
        status_code=exc.status_code,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected failure in %s: %s", request.url.path, error_json(exc)["message"])
    return JSONResponse({"error": error_json(exc)}, status_code=500)


def create_app(
    factory: LlmServiceFactory | None = None,
    store: ConversationStore | None = None,
    parameters: Mapping[str, Any] | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Starlette:
    """The app without the guard (:func:`liminal.web.serve.guarded_app` adds it).
    ``on_ready`` runs once the server has started (its Ctrl-C handling included)."""
    factory = factory or LlmServiceFactory(on_retry=report_retry, on_progress=report_progress)
    web = WebApp(factory, store or ConversationStore(), parameters or {})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:  # SDK clients and the local engine end with the loop that made them
            await web.factory.aclose()
            web.store.close()

    routes = [
        Route("/", web.index),
        Route("/api/models", web.models),
        Route("/api/select", web.select, methods=["POST"]),
        Route("/api/conversations", web.conversations),
        Route("/api/conversations/{cid}", web.conversation),
        Route("/api/chat", web.chat, methods=["POST"]),
        Route("/api/turns/{turn}/stop", web.stop, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            LiminalError: _liminal_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
