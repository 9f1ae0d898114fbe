"""Running a prompt for the CLI: model selection, streaming to stdout, retry notices."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from liminal.errors import LiminalError
from liminal.retry import RetryNotice


def _notify(notice: RetryNotice) -> None:
    click.echo(notice.describe(), err=True)


def run_prompt(
    text: str,
    *,
    model_name: str | None,
    system: str | None,
    parameters: dict[str, Any],
    stream: bool,
    key: str | None,
    timeout: float | None,
) -> dict[str, Any]:
    """Send one prompt; stream text to stdout when ``stream``; return the JSON form."""
    from liminal.factory import LlmServiceFactory
    from liminal.keys import ApiKeyManager, Secret
    from liminal.plugins import get_plugins
    from liminal.selection import require_default_model
    from liminal.types import ChatRequest, Message, Role

    loaded = get_plugins()
    model = loaded.models.resolve(model_name) if model_name else require_default_model(loaded)
    keys = ApiKeyManager()
    if key is not None:
        keys.set_explicit(model.provider, Secret(key))
    factory = LlmServiceFactory(plugins=loaded, keys=keys, on_retry=_notify)
    service = factory.for_model(model.id)
    request = ChatRequest(
        model=model.id,
        messages=(Message(Role.USER, text),),
        system=system,
        parameters=parameters,
        timeout=timeout,
    )
    if not stream:
        from liminal.serialize import unstructure

        result = asyncio.run(service.complete(request))
        data: dict[str, Any] = unstructure(result)
        data["provider"] = model.provider
        return data
    return asyncio.run(_stream_to_stdout(service, request, model.provider))


async def _stream_to_stdout(service: Any, request: Any, provider: str) -> dict[str, Any]:
    from liminal.types import Finish, TextDelta, Usage

    out = sys.stdout
    pieces: list[str] = []
    usage = None
    finish = None
    try:
        async for event in service.stream(request):
            if isinstance(event, TextDelta):
                pieces.append(event.text)
                out.write(event.text)
                out.flush()
            elif isinstance(event, Usage):
                usage = event
            elif isinstance(event, Finish):
                finish = event
    except LiminalError:
        if pieces:
            out.write("\n")
            out.flush()
        raise
    if pieces and not pieces[-1].endswith("\n"):
        out.write("\n")
    out.flush()
    return {
        "text": "".join(pieces),
        "finish_reason": finish.reason.value if finish else None,
        "usage": {"input": usage.input, "output": usage.output} if usage else None,
        "model": request.model,
        "provider": provider,
    }
