"""The ``liminal`` command line. One module per command group."""

from __future__ import annotations

import os
import re
import sys

import click

from liminal._version import __version__
from liminal.cli.output import report_error, show_traceback

__all__ = ["cli", "main"]

#: A word shaped like a command of a plugin (``openai-models``), not like a question.
_COMMAND_SHAPED = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")

_BUILTIN_COMMANDS = {
    "chat": "liminal.cli.chat:chat",
    "conversations": "liminal.cli.conversations:conversations",
    "keys": "liminal.cli.keys:keys",
    "models": "liminal.cli.models:models",
    "plugins": "liminal.cli.plugins_cmd:plugins",
    "prompt": "liminal.cli.prompt:prompt",
    "ui": "liminal.cli.ui:ui",
}


class LiminalGroup(click.Group):
    """Built-in commands are imported when used; plugin commands load on demand."""

    _plugin_commands_loaded = False

    def _load_plugin_commands(self) -> None:
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from liminal.plugins import get_plugins

        get_plugins().register_commands(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        return sorted({*_BUILTIN_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _BUILTIN_COMMANDS.get(cmd_name)
        if target is not None:
            import importlib

            module_name, _, attr = target.partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        command_or_none = super().get_command(ctx, cmd_name)
        if command_or_none is None:
            self._load_plugin_commands()
            command_or_none = super().get_command(ctx, cmd_name)
        return command_or_none

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if args[0].startswith("-"):
                raise
            from liminal.suggest import closest

            close = closest(args[0], self.list_commands(ctx), n=2, cutoff=0.75)
            if close and " " not in args[0]:  # a misspelled command, not a question
                hint = f" Did you mean {' or '.join(repr(c) for c in close)}?"
                raise click.UsageError(error.message + hint, ctx) from None
            if _COMMAND_SHAPED.fullmatch(args[0]):  # `some-command`: a plugin's, not installed
                raise
            # `liminal "Why is the sky blue?"`: a bare prompt, as `liminal prompt TEXT`.
            command = self.get_command(ctx, "prompt")
            return "prompt", command, args


@click.group(cls=LiminalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="liminal")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
def cli(debug: bool) -> None:
    """Talk to large language models from many providers through one interface."""
    if debug:
        import logging

        from liminal.keys.secret import RedactingFilter

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter())


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("LIMINAL_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    """Entry point: errors become one line plus a hint and the exit code of their class."""
    from liminal import reporting

    reporting.warnings_on_stderr = True
    args = sys.argv[1:] if argv is None else argv
    debug = _debug_requested(args)
    try:
        result = cli.main(args=args, prog_name="liminal", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # Click turns Ctrl-C into Abort (and has ended the line); the docs promise this word.
        interrupted = isinstance(exc.__context__, KeyboardInterrupt)
        click.echo("Interrupted." if interrupted else "Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        from liminal.cli.output import report_usage_error

        sys.exit(report_usage_error(exc, as_json="--json" in args))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("\nInterrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`): not an error
        sys.exit(0)
    except Exception as exc:
        if debug:
            show_traceback(exc)
        sys.exit(report_error(exc, as_json="--json" in args))
    sys.exit(result if isinstance(result, int) else 0)
