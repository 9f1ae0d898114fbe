"""How the CLI prints errors and JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from liminal.errors import ErrorCode, LiminalError

__all__ = ["echo_json", "report_error", "show_traceback"]


def report_error(exc: BaseException) -> int:
    """Print ``Error [CODE]: message`` and a hint on stderr; return the exit code."""
    if isinstance(exc, LiminalError):
        error = exc
    else:
        from liminal.keys import redact

        text = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        error = LiminalError(ErrorCode.UNKNOWN, f"unexpected {text}")
    message = " ".join(error.message.split())
    click.echo(f"Error [{error.code.value}]: {message}", err=True)
    if error.hint:
        click.echo(f"Hint: {error.hint}", err=True)
    return error.exit_code


def show_traceback(exc: BaseException) -> None:
    """The traceback ``--debug`` asks for, chained causes included, with every known key and
    anything key- or token-shaped masked: a server's error body may quote the request's
    ``Authorization`` header, and the SDK's exception repeats that body."""
    import traceback

    from liminal.keys import redact

    click.echo(redact("".join(traceback.format_exception(exc))).rstrip("\n"), err=True)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
