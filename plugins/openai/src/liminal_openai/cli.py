"""``liminal openai``: declare models served by OpenAI-compatible servers."""

from __future__ import annotations

from typing import Any

import attrs
import click

from liminal import ErrorCode, LiminalError


@click.group("openai")
def openai_group() -> None:
    """OpenAI provider: models on OpenAI-compatible servers."""


def _load() -> Any:
    from liminal_openai.compatible import load_compatible

    return load_compatible()


@openai_group.command("add-model")
@click.argument("model_id")
@click.option(
    "--base-url", required=True, help="The server's base URL, e.g. http://127.0.0.1:8080/v1"
)
@click.option("--key-env", "key_env_var", metavar="VAR", help="Env var holding this server's key.")
@click.option("--context-window", type=click.IntRange(min=1), default=4096, show_default=True)
@click.option("--max-output", type=click.IntRange(min=1), default=1024, show_default=True)
@click.option("--alias", "aliases", multiple=True, help="Another name for the model (repeatable).")
def add_model(
    model_id: str,
    base_url: str,
    key_env_var: str | None,
    context_window: int,
    max_output: int,
    aliases: tuple[str, ...],
) -> None:
    """Declare MODEL_ID, served by an OpenAI-compatible server at --base-url."""
    import liminal
    from liminal_openai.compatible import CompatibleModel, save_compatible

    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--base-url")
    data = _load()
    declared = {m.id for m in data.models}
    known = {n for m in liminal.get_models() for n in (m.id, *m.aliases)}
    taken = [name for name in (model_id, *aliases) if name in known]
    if model_id not in declared and taken:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{taken[0]!r} is already a model id or alias",
            hint="choose another id or alias",
        )
    model = CompatibleModel(
        id=model_id,
        base_url=base_url.rstrip("/"),
        context_window=context_window,
        max_output_tokens=min(max_output, context_window),
        key_env_var=key_env_var,
        aliases=aliases,
    )
    others = tuple(m for m in data.models if m.id != model_id)
    save_compatible(attrs.evolve(data, models=(*others, model)))
    click.echo(f"Added {model_id} at {model.base_url}")


@openai_group.command("remove-model")
@click.argument("model_id")
def remove_model(model_id: str) -> None:
    """Forget a declared model."""
    from liminal_openai.compatible import save_compatible

    data = _load()
    kept = tuple(m for m in data.models if m.id != model_id)
    if len(kept) == len(data.models):
        raise LiminalError(
            ErrorCode.MODEL_NOT_FOUND,
            f"{model_id!r} is not a declared compatible model",
            hint="see `liminal openai list-models`",
        )
    save_compatible(attrs.evolve(data, models=kept))
    click.echo(f"Removed {model_id}")


@openai_group.command("list-models")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def list_models(as_json: bool) -> None:
    """List the declared compatible models."""
    data = _load()
    if as_json:
        import json

        from liminal.provider import unstructure

        click.echo(json.dumps([unstructure(m) for m in data.models], indent=2))
        return
    if not data.models:
        click.echo(
            "No compatible models declared; add one with "
            "`liminal openai add-model ID --base-url URL`.",
            err=True,
        )
        return
    for m in data.models:
        key = f" key from ${m.key_env_var}" if m.key_env_var else " no key"
        click.echo(f"{m.id}  {m.base_url}  context {m.context_window:,}{key}")
