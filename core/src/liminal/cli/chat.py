"""``liminal chat``: a conversation in the terminal; switch models without losing context."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from liminal.cli.conversations import format_message
from liminal.cli.loop import EventLoop
from liminal.cli.options import model_options, parameters_from
from liminal.cli.output import report_error
from liminal.errors import ErrorCode, LiminalError

if TYPE_CHECKING:
    from liminal.cli.chat_input import TerminalInput
    from liminal.conversation import Conversation
    from liminal.factory import LlmServiceFactory
    from liminal.types import ModelInfo
    from liminal.ui import ModelSelector

HELP = (
    "Commands: /model [ID], /models, /system TEXT, /history, /multi, /help, /exit. "
    "Ctrl-C stops an answer; Ctrl-D or /exit leaves."
)


def startup_key_check(factory: LlmServiceFactory, model: ModelInfo, loop: EventLoop) -> None:
    """Check the key a chat will use, once per ``key_check_ttl``; never blocks the chat.

    INVALID says how to fix it (and the pool moves on to the next key); UNKNOWN (the
    provider could not be reached) is not reported as a problem.
    """
    from liminal.keys.health import KeyState
    from liminal.types import KeyStatus

    service = factory.for_model(model.id)
    if not service.provider.requires_key or model.base_url:
        return
    entries = service.key_candidates(model)
    if not entries:
        return  # the first answer reports NO_KEY with its hint
    entry = entries[0]
    state = KeyState.default()
    cached = state.recent_check(entry, factory.config.key_check_ttl)
    if cached is not None:
        status = KeyStatus(cached)
    else:
        try:
            status = loop.run(asyncio.wait_for(service.validate_key(entry.secret), 5.0))
        except Exception:
            status = KeyStatus.UNKNOWN
        state.record_check(entry, status.value)
    if status is KeyStatus.INVALID:
        factory.keys.mark_invalid(entry, "AUTH_INVALID")
        click.echo(
            f"Warning: the {entry.provider} key {entry.label!r} ({entry.secret}) was rejected; "
            f"fix it with `liminal keys set {entry.provider}`",
            err=True,
        )


def show_models(selector: ModelSelector, current: ModelInfo) -> None:
    """``/models``: every model by provider, deprecated ones marked; ``*`` the current one,
    ``!`` no key at hand."""
    for group in selector.groups(include_deprecated=True):
        click.echo(f"{group.provider.display_name}:")
        for choice in group.choices:
            model = choice.model
            mark = "*" if model.id == current.id else "!" if not choice.key_available else " "
            old = " (deprecated)" if model.deprecated else ""
            caps = ",".join(choice.capabilities)
            click.echo(f" {mark} {model.id}{old}  ({model.context_window:,} tokens; {caps})")
    click.echo("* current model   ! no key configured", err=True)


def warn_if_keyless(selector: ModelSelector, model: ModelInfo) -> None:
    """Say at once that a model cannot answer yet, and how to fix it."""
    if selector.key_available(model):
        return
    from liminal.keys.pool import key_scope

    provider = selector.plugins.providers.get(model.provider)
    scope = key_scope(provider, model)
    where = " or set " + " / ".join(v for v in scope.env_vars if v) if scope.env_vars else ""
    click.echo(
        f"Warning: no API key for {model.id} yet; run `liminal keys set {scope.pool}`{where}.",
        err=True,
    )


def _read_line(interactive: bool) -> str | None:
    """The next line typed or piped in; None at the end. A line that is not UTF-8 text is
    reported and skipped (""), so it ends its turn, not the chat."""
    from liminal.cli.textinput import decoded, utf8_text

    raw = None if interactive else getattr(sys.stdin, "buffer", None)
    try:
        if raw is None:
            return utf8_text(input("> " if interactive else ""), "the line")
        data = raw.readline()  # bytes: one bad line cannot spoil the decoding of the next
        if not data:
            return None
        return decoded(data, "the line").rstrip("\r\n")
    except EOFError:
        return None
    except UnicodeDecodeError as exc:  # a terminal whose encoding is not UTF-8
        report_error(
            LiminalError(ErrorCode.INVALID_REQUEST, f"the line is not UTF-8 text ({exc.reason})")
        )
        return ""
    except LiminalError as error:
        report_error(error)
        return ""


def _terminal(selector: ModelSelector) -> TerminalInput:
    """Line editing, a history across chats and completion, for a chat on a terminal."""
    from liminal._paths import data_dir
    from liminal.cli.chat_input import TerminalInput

    def names() -> list[str]:
        return [name for m in selector.plugins.models for name in (m.id, *m.aliases)]

    return TerminalInput(data_dir(), names)


@click.command("chat")
@model_options("A model parameter for every answer, e.g. -o max_tokens 200 (repeatable).")
def chat(
    model_name: str | None,
    system: str | None,
    options: tuple[tuple[str, str], ...],
    continue_latest: bool,
    cid: str | None,
) -> None:
    """Chat with a model; the conversation is stored and survives model switches."""
    from liminal.cli.run import cli_factory, notify, stream_answer
    from liminal.conversation import Conversation
    from liminal.store import ConversationStore
    from liminal.ui import ModelSelector

    store = ConversationStore()
    factory = cli_factory()
    loop = EventLoop().__enter__()
    try:
        conversation = Conversation.open(
            factory,
            store,
            model_name=model_name,
            cid=cid,
            continue_latest=continue_latest,
            system=system,
            parameters=parameters_from(options),
            on_notice=notify,
        )
        selector = ModelSelector(factory.plugins, factory.keys)
        terminal = _terminal(selector) if sys.stdin.isatty() else None
        startup_key_check(factory, conversation.model, loop)
        where = f"conversation {conversation.id}" if conversation.id else "a new conversation"
        click.echo(f"Chatting with {conversation.model.id} ({where}). {HELP}", err=True)
        while True:
            line = terminal.read() if terminal is not None else _read_line(False)
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                if not _command(text, conversation, selector, terminal):
                    break
                continue
            try:
                loop.run(stream_answer(conversation, text))
            except LiminalError as error:
                report_error(error)  # the conversation goes on; what arrived is stored
            except KeyboardInterrupt:  # stream_answer ended the cut answer's line
                click.echo("(answer interrupted; what arrived is kept)", err=True)
    finally:
        loop.run(factory.aclose())
        loop.__exit__(None, None, None)
        store.close()


def _command(
    text: str,
    conversation: Conversation,
    selector: ModelSelector,
    terminal: TerminalInput | None,
) -> bool:
    """Run a ``/`` command; False when the chat should end."""
    command, _, argument = text.partition(" ")
    argument = argument.strip()
    if command in ("/exit", "/quit"):
        return False
    if command == "/model":
        if not argument:
            click.echo(conversation.model.id)
            return True
        try:
            switched = conversation.switch_model(argument)
        except LiminalError as error:
            report_error(error)
            return True
        click.echo(switched.describe(), err=True)
        warn_if_keyless(selector, conversation.model)
    elif command == "/models":
        show_models(selector, conversation.model)
    elif command == "/system":
        conversation.set_system(argument or None)
        click.echo("System prompt " + ("set." if argument else "cleared."), err=True)
    elif command == "/history":
        for message in conversation.messages():
            click.echo(format_message(message))
    elif command == "/help":
        from liminal.cli.chat_input import COMMANDS

        for name, what in COMMANDS.items():
            click.echo(f"  {name:<9} {what}", err=True)
        click.echo("  Ctrl-C stops an answer or clears the line; Ctrl-D leaves.", err=True)
    elif command == "/multi":
        if terminal is None:
            click.echo(
                "Multi-line mode needs a terminal; from a pipe every line is a turn.", err=True
            )
        else:
            on = terminal.toggle_multiline()
            click.echo(
                "Multi-line mode on: Enter adds a line, Alt+Enter (Esc Enter) sends."
                if on
                else "Multi-line mode off: Enter sends.",
                err=True,
            )
    else:
        click.echo(f"Unknown command {command}. {HELP}", err=True)
    return True
