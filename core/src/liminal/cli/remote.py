"""``liminal models list --remote``: what each provider's key can access."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from liminal.cli.loop import EventLoop
from liminal.cli.output import echo_json
from liminal.errors import ErrorCode, LiminalError
from liminal.plugins import Plugins

if TYPE_CHECKING:
    from liminal.factory import LlmServiceFactory


def show_remote(loaded: Plugins, provider_id: str | None, as_json: bool) -> None:
    from liminal.factory import LlmServiceFactory

    factory = LlmServiceFactory(plugins=loaded)
    providers = [loaded.providers.get(provider_id)] if provider_id else list(loaded.providers)
    known = {(m.provider, m.id) for m in loaded.models}  # the same id may exist elsewhere
    results: list[dict[str, object]] = []
    failures = 0
    with EventLoop() as loop:
        try:
            answers = [loop.run(_ask(factory, p.id)) for p in providers]
        finally:
            loop.run(factory.aclose())
    for provider, answer in zip(providers, answers, strict=True):
        try:
            if isinstance(answer, LiminalError):
                raise answer
            ids = answer
        except LiminalError as error:
            if provider_id is not None:
                raise
            failures += 1
            if not as_json:
                click.echo(
                    f"{provider.id}: skipped: [{error.code.value}] {error.message}", err=True
                )
            continue
        for model_id in sorted(ids):
            results.append(
                {
                    "id": model_id,
                    "provider": provider.id,
                    "in_catalog": (provider.id, model_id) in known,
                }
            )
    if failures and failures == len(providers) and not results:
        raise LiminalError(
            ErrorCode.NO_KEY if providers else ErrorCode.MODEL_NOT_FOUND,
            "no provider could be asked for its models",
            hint="set a key with `liminal keys set PROVIDER`, or pass --provider P",
        )
    if as_json:
        echo_json(results)
        return
    for row in results:
        note = "" if row["in_catalog"] else "  (not in the catalog: limits unknown)"
        click.echo(f"{row['provider']}  {row['id']}{note}")


async def _ask(factory: LlmServiceFactory, provider_id: str) -> list[str] | LiminalError:
    try:
        return await factory.for_provider(provider_id).list_remote_models()
    except LiminalError as error:
        return error
