"""How the CLI prints errors and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from liminal.errors import ErrorCode, LiminalError

__all__ = ["echo_json", "echo_table", "report_error", "report_usage_error", "show_traceback"]


def report_error(exc: BaseException, *, as_json: bool = False) -> int:
    """Print ``Error [CODE]: message`` and a hint on stderr (with ``as_json``, one JSON
    object ``{"error": {"code", "message", "hint"}}``); return the exit code."""
    if isinstance(exc, LiminalError):
        error = exc
    else:
        from liminal.keys.secret import redact

        text = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        error = LiminalError(ErrorCode.UNKNOWN, f"unexpected {text}")
    message = " ".join(error.message.split())
    if as_json:
        payload = {"code": error.code.value, "message": message, "hint": error.hint}
        click.echo(json.dumps({"error": payload}, ensure_ascii=False), err=True)
    else:
        click.echo(f"Error [{error.code.value}]: {message}", err=True)
        if error.hint:
            click.echo(f"Hint: {error.hint}", err=True)
    return error.exit_code


def report_usage_error(exc: click.ClickException, *, as_json: bool) -> int:
    """A bad command line: click's own message, or the JSON error form (code INVALID_REQUEST)."""
    if not as_json:
        exc.show()
        return exc.exit_code
    payload = {
        "code": ErrorCode.INVALID_REQUEST.value,
        "message": exc.format_message(),
        "hint": "see --help",
    }
    click.echo(json.dumps({"error": payload}, ensure_ascii=False), err=True)
    return exc.exit_code


def show_traceback(exc: BaseException) -> None:
    """The traceback ``--debug`` asks for, chained causes included, with every known key and
    anything key- or token-shaped masked: a server's error body may quote the request's
    ``Authorization`` header, and the SDK's exception repeats that body."""
    import traceback

    from liminal.keys.secret import redact

    click.echo(redact("".join(traceback.format_exception(exc))).rstrip("\n"), err=True)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def echo_table(rows: Sequence[Sequence[str]], *, flexible: tuple[int, ...] = ()) -> None:
    """Columns padded to line up. On a terminal narrower than the table, the ``flexible``
    columns (by index) are cut with "…", widest first; piped output is never cut."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    if sys.stdout.isatty():
        import shutil

        room = shutil.get_terminal_size((100, 24)).columns
        excess = sum(widths) + 2 * (len(widths) - 1) - room
        while excess > 0 and flexible:
            widest = max(flexible, key=lambda i: widths[i])
            floor = max(len(rows[0][widest]), 8)
            if widths[widest] <= floor:
                break
            cut = min(excess, widths[widest] - floor)
            widths[widest] -= cut
            excess -= cut
    for row in rows:
        cells = [_fit(cell, width) for cell, width in zip(row, widths, strict=True)]
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip())


def _fit(cell: str, width: int) -> str:
    return cell if len(cell) <= width else cell[: width - 1] + "…"
