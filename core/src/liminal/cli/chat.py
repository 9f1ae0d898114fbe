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
    from liminal.factory import LlmServiceFactory
    from liminal.types import ModelInfo
    from liminal.ui import ModelSelector

HELP = (
    "Commands: /model [ID] (show or switch), /models, /system TEXT, /history, /exit. "
    "Ctrl-C stops an answer; Ctrl-D or /exit leaves."
)


def startup_key_check(factory: LlmServiceFactory, model: ModelInfo, loop: EventLoop) -> None:
    """Check the key a chat will use, once per ``key_check_ttl``; never blocks the chat.

    INVALID says how to fix it (and the pool moves on to the next key); UNKNOWN (the
    provider could not be reached) is not reported as a problem.
    """
    from liminal.keystate import KeyState
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
    """``/models``: by provider, with capabilities; ``*`` current, ``!`` no key at hand."""
    for group in selector.groups(include_deprecated=False):
        click.echo(f"{group.provider.display_name}:")
        for choice in group.choices:
            mark = (
                "*" if choice.model.id == current.id else "!" if not choice.key_available else " "
            )
            caps = ",".join(choice.capabilities)
            click.echo(
                f" {mark} {choice.model.id}  ({choice.model.context_window:,} tokens; {caps})"
            )
    click.echo("* current model   ! no key configured", err=True)


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
    from liminal.cli.progress import ProgressLine
    from liminal.cli.run import fallback_chain, notify_retry, open_conversation
    from liminal.cli.turn import build_request, stream_turn
    from liminal.factory import LlmServiceFactory
    from liminal.plugins import get_plugins
    from liminal.selection import model_or_default
    from liminal.store import ConversationStore
    from liminal.ui import ModelSelector

    loaded = get_plugins()
    model = model_or_default(loaded, model_name)
    store = ConversationStore()
    cid, system = open_conversation(store, cid, continue_latest=continue_latest, system=system)
    parameters = parameters_from(options)
    factory = LlmServiceFactory(plugins=loaded, on_retry=notify_retry, on_progress=ProgressLine())
    selector = ModelSelector(loaded, factory.keys)
    loop = EventLoop().__enter__()
    interactive = sys.stdin.isatty()
    try:
        startup_key_check(factory, model, loop)
        click.echo(f"Chatting with {model.id} (conversation {cid}). {HELP}", err=True)
        while True:
            line = _read_line(interactive)
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command, _, argument = text.partition(" ")
                argument = argument.strip()
                if command in ("/exit", "/quit"):
                    break
                if command == "/model":
                    if argument:
                        try:
                            model = loaded.models.resolve(argument)
                        except LiminalError as error:
                            report_error(error)
                            continue
                        kept = len(store.history(cid))
                        click.echo(f"Switched to {model.id}; {kept} messages kept.", err=True)
                    else:
                        click.echo(model.id)
                elif command == "/models":
                    show_models(selector, model)
                elif command == "/system":
                    system = argument or None
                    store.set_system(cid, system)
                    click.echo("System prompt " + ("set." if system else "cleared."), err=True)
                elif command == "/history":
                    for message in store.get(cid).messages:
                        click.echo(format_message(message))
                else:
                    click.echo(f"Unknown command {command}. {HELP}", err=True)
                continue
            try:
                service = fallback_chain(factory, model.id)
                request = build_request(
                    store, cid, model, text, system=system, parameters=parameters, timeout=None
                )
                loop.run(stream_turn(service, store, cid, request))
            except LiminalError as error:
                report_error(error)  # the conversation goes on; what arrived is stored
            except KeyboardInterrupt:
                click.echo()  # end the cut answer's line on stdout
                click.echo("(answer interrupted; what arrived is kept)", err=True)
    finally:
        loop.run(factory.aclose())
        loop.__exit__(None, None, None)
        store.close()
