"""``liminal ui``: the chat and its model selector in the browser (``liminal.web``)."""

from __future__ import annotations

import click

from liminal.cli.options import parameters_from


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port to listen on (default: a free one).",
)
@click.option("--no-browser", is_flag=True, help="Print the URL; do not open a browser.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other machines can reach (the token still guards every request).",
)
@click.option(
    "-o",
    "--option",
    "options",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="A model parameter for every answer, e.g. -o max_tokens 200 (repeatable).",
)
def ui(
    host: str,
    port: int,
    no_browser: bool,
    allow_remote: bool,
    options: tuple[tuple[str, str], ...],
) -> None:
    """Chat in the browser: a local web app with a model selector."""
    from liminal.web.serve import serve

    def announce(url: str) -> None:
        click.echo(f"Liminal UI: {url}")
        if not no_browser:
            import webbrowser

            if not webbrowser.open(url):
                click.echo("(no browser found: open the URL above yourself)", err=True)
        click.echo("Press Ctrl-C to stop.", err=True)

    serve(
        host=host,
        port=port,
        allow_remote=allow_remote,
        parameters=parameters_from(options),
        announce=announce,
    )
