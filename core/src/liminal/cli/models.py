"""``liminal models``: list, inspect and choose models."""

from __future__ import annotations

from typing import Any

import click

from liminal.cli.output import echo_json, echo_table


def _fmt_tokens(value: int) -> str:
    return f"{value:,}"


@click.group("models")
def models() -> None:
    """List, inspect and choose models."""


@models.command("list")
@click.option("--provider", "provider_id", metavar="P", help="Only models of this provider.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("--remote", is_flag=True, help="Ask each provider which models your key can use.")
def list_models(provider_id: str | None, as_json: bool, remote: bool) -> None:
    """List the models installed plugins provide."""
    if remote:
        from liminal.cli.remote import show_remote
        from liminal.plugins import get_plugins

        loaded = get_plugins()
        if provider_id is not None:
            loaded.providers.get(provider_id)  # unknown provider: MODEL_NOT_FOUND with a hint
        show_remote(loaded, provider_id, as_json)
        return
    from liminal.snapshot import build_snapshot, load_snapshot, save_snapshot

    snapshot = load_snapshot()
    if snapshot is None:
        snapshot = build_snapshot()
        save_snapshot(snapshot)
    else:
        for warning in snapshot["warnings"]:  # a broken plugin is reported every time
            click.echo(warning, err=True)
    _render(snapshot, provider_id, as_json)


def _render(snapshot: dict[str, Any], provider_id: str | None, as_json: bool) -> None:
    """Print the registry's JSON form as a table (or as JSON)."""
    provider_ids = [p["id"] for p in snapshot["providers"]]
    if provider_id is not None and provider_id not in provider_ids:
        from liminal.errors import ErrorCode, LiminalError
        from liminal.suggest import did_you_mean

        raise LiminalError(
            ErrorCode.MODEL_NOT_FOUND,
            f"unknown provider {provider_id!r}",
            hint=did_you_mean(provider_id, provider_ids, "`liminal plugins`"),
        )
    chosen = [m for m in snapshot["models"] if provider_id is None or m["provider"] == provider_id]
    if as_json:
        echo_json(chosen)
        return
    if not chosen:
        click.echo(
            "No models: no provider plugin is installed. Install one, e.g. "
            "`pip install liminal-openai` (or liminal-anthropic, liminal-local).",
            err=True,
        )
        return
    default = snapshot["default"]
    rows = [("ID", "PROVIDER", "CONTEXT", "MAX OUT", "CAPABILITIES", "ALIASES")]
    for m in chosen:
        mark = "*" if m["id"] == default else ""
        rows.append(
            (
                m["id"] + mark + (" (deprecated)" if m["deprecated"] else ""),
                m["provider"],
                _fmt_tokens(m["context_window"]),
                _fmt_tokens(m["max_output_tokens"]),
                ",".join(name for name, on in m["capabilities"].items() if on),
                ",".join(m["aliases"]),
            )
        )
    echo_table(rows, flexible=(4, 5))  # capabilities and aliases give way first
    if default is not None and any(m["id"] == default for m in chosen):
        click.echo("\n* default model")


@models.command("show")
@click.argument("model")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def show_model(model: str, as_json: bool) -> None:
    """Show everything known about MODEL (an id or alias)."""
    from liminal._serialize import unstructure
    from liminal.plugins import get_plugins

    loaded = get_plugins()
    info = loaded.models.resolve(model)
    if as_json:
        echo_json(unstructure(info))
        return
    provider = loaded.providers.get(info.provider)
    lines = [
        ("Model", info.id + (" (deprecated)" if info.deprecated else "")),
        ("Name", info.display_name),
        ("Provider", f"{provider.display_name} ({provider.id})"),
        ("Context window", f"{info.context_window:,} tokens"),
        ("Max output", f"{info.max_output_tokens:,} tokens"),
        ("Capabilities", ", ".join(info.capabilities.names()) or "none"),
        ("Aliases", ", ".join(info.aliases) or "none"),
        ("Parameters", ", ".join(info.parameters) or "none"),
    ]
    if info.base_url:
        lines.append(("Base URL", info.base_url))
    for label, value in lines:
        click.echo(f"{label + ':':<16}{value}")


@models.command("default")
@click.argument("model", required=False)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def default_cmd(model: str | None, as_json: bool) -> None:
    """Show the default model, or set it to MODEL."""
    from liminal.plugins import get_plugins
    from liminal.ui import default_model, set_default_model

    loaded = get_plugins()
    if model is None:
        current = default_model(loaded)
        if as_json:
            echo_json({"default": current.id if current else None})
        elif current is None:
            click.echo("No default model set; choose one with `liminal models default MODEL`.")
        else:
            click.echo(current.id)
        return
    chosen = set_default_model(loaded, model)
    if chosen.deprecated:
        click.echo(
            f"Warning: {chosen.id} is deprecated: its provider has retired it or will; "
            "see `liminal models list` for current models.",
            err=True,
        )
    if as_json:
        echo_json({"default": chosen.id})
    else:
        click.echo(f"Default model set to {chosen.id}")
