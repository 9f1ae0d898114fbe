"""Options ``prompt`` and ``chat`` share: model, system prompt, parameters, continuation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def parse_option_value(raw: str) -> object:
    """``-o NAME VALUE``: JSON when it parses (numbers, booleans, lists), else the string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parameters_from(options: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {name: parse_option_value(value) for name, value in options}


def model_options(parameters_help: str) -> Callable[[F], F]:
    """``-m MODEL``, ``-s SYSTEM``, ``-o NAME VALUE``…, ``-c`` and ``--cid ID``."""

    def apply(command: F) -> F:
        for option in reversed(
            [
                click.option(
                    "-m", "--model", "model_name", metavar="MODEL", help="Model id or alias."
                ),
                click.option("-s", "--system", metavar="SYSTEM", help="System prompt."),
                click.option(
                    "-o",
                    "--option",
                    "options",
                    nargs=2,
                    multiple=True,
                    metavar="NAME VALUE",
                    help=parameters_help,
                ),
                click.option(
                    "-c",
                    "--continue",
                    "continue_latest",
                    is_flag=True,
                    help="Continue the latest conversation.",
                ),
                click.option("--cid", metavar="ID", help="Continue the conversation with this id."),
            ]
        ):
            command = option(command)
        return command

    return apply
