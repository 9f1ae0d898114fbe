"""``liminal prompt``: send one prompt and stream the answer to stdout."""

from __future__ import annotations

import sys

import click

from liminal.cli.options import model_options, parameters_from
from liminal.cli.output import echo_json


@click.command("prompt")
@click.argument("text", required=False)
@model_options("A model parameter, e.g. -o temperature 0.2 (repeatable).")
@click.option("--no-stream", is_flag=True, help="Wait for the whole answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--key", metavar="KEY", help="API key for this call only.")
@click.option("--timeout", type=click.FloatRange(min=0.001), help="Total deadline in seconds.")
@click.option(
    "-x", "--extract", is_flag=True, help="Print only the first fenced code block of the answer."
)
@click.option("-u", "--usage", "show_usage", is_flag=True, help="Print token usage on stderr.")
@click.option("--no-log", is_flag=True, help="Do not store this prompt and its answer.")
@click.option(
    "--fallback",
    "fallbacks",
    multiple=True,
    metavar="MODEL",
    help="Model to use if MODEL fails before answering (repeatable, in order).",
)
def prompt(
    text: str | None,
    model_name: str | None,
    system: str | None,
    options: tuple[tuple[str, str], ...],
    no_stream: bool,
    as_json: bool,
    key: str | None,
    timeout: float | None,
    continue_latest: bool,
    cid: str | None,
    fallbacks: tuple[str, ...],
    extract: bool,
    show_usage: bool,
    no_log: bool,
) -> None:
    """Send TEXT (or standard input) to a model and print the answer."""
    from liminal.cli.run import run_prompt
    from liminal.cli.textinput import decoded, utf8_text

    if no_log and (continue_latest or cid):
        raise click.UsageError("--no-log cannot continue a stored conversation (-c, --cid)")
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise click.UsageError("give the prompt as an argument or on standard input")
        raw = getattr(sys.stdin, "buffer", None)
        text = decoded(raw.read(), "standard input") if raw else sys.stdin.read()
    text = utf8_text(text, "the prompt")
    if system is not None:
        system = utf8_text(system, "the system prompt (-s)")
    if not text.strip():
        raise click.UsageError("the prompt is empty")
    parameters = parameters_from(options)
    result = run_prompt(
        text,
        model_name=model_name,
        system=system,
        parameters=parameters,
        stream=not no_stream and not as_json and not extract,
        key=key,
        timeout=timeout,
        continue_latest=continue_latest,
        cid=cid,
        fallbacks=fallbacks,
        store=not no_log,
    )
    if as_json:
        echo_json(result)
    elif extract:
        click.echo(first_code_block(result["text"]))
    elif no_stream:
        click.echo(result["text"])
    usage = result.get("usage")
    if show_usage and usage:
        click.echo(f"Token usage: {usage['input']:,} input, {usage['output']:,} output", err=True)


def first_code_block(text: str) -> str:
    """The content of the first fenced code block (```), or the whole text if there is none."""
    import re

    found = re.search(r"^(`{3,}|~{3,})[^\n]*\n(.*?)^\1", text, re.MULTILINE | re.DOTALL)
    if found is None:  # an unclosed fence still counts, to the end of the answer
        found = re.search(r"^(`{3,}|~{3,})[^\n]*\n(.*)", text, re.MULTILINE | re.DOTALL)
    return found.group(2).rstrip("\n") if found else text
