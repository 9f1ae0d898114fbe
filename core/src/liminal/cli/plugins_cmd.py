"""``liminal plugins``: what is installed and which hooks each plugin implements."""

from __future__ import annotations

import click

from liminal.cli.output import echo_json


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
def plugins(as_json: bool) -> None:
    """List installed plugins, their versions and hooks."""
    from liminal._serialize import unstructure
    from liminal.plugins import get_plugins

    loaded = get_plugins()
    records = loaded.records()
    if as_json:
        data = unstructure(records)
        data += [
            {"name": f.name, "distribution": f.distribution, "error": f.error}
            for f in loaded.failures
        ]
        echo_json(data)
        return
    for record in records:
        origin = f"{record.distribution} {record.version}" if record.distribution else "?"
        click.echo(f"{record.name}  ({origin})")
        for hook in record.hooks:
            click.echo(f"    {hook}")
    for failure in loaded.failures:
        click.echo(f"{failure.name}  (failed to load: {failure.error})")
