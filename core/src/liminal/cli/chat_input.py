"""What the chat reads from a terminal: line editing, a history kept across chats, pasted
blocks as one turn, a multi-line mode, and completion of commands and model ids.

prompt_toolkit does the terminal work; it is imported only when a chat runs on a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["COMMANDS", "TerminalInput"]

#: The chat's commands, for completion and /help.
COMMANDS = {
    "/model": "show the current model; /model ID switches, keeping the conversation",
    "/models": "every model, by provider, with its window and whether a key is at hand",
    "/system": "set the system prompt (/system alone clears it)",
    "/history": "show the conversation so far",
    "/multi": "multi-line mode on or off: Enter adds a line, Alt+Enter (Esc Enter) sends",
    "/help": "this list",
    "/exit": "leave (also /quit or Ctrl-D)",
}
HISTORY_FILE = "chat-history"


def _completer(model_names: Callable[[], Iterable[str]]) -> Any:
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.document import Document

    class ChatCompleter(Completer):
        """``/`` commands at the start of the line; model ids and aliases after ``/model ``."""

        def get_completions(self, document: Document, complete_event: Any) -> Iterator[Any]:
            text = document.text_before_cursor
            if text.startswith("/model "):
                typed = text[len("/model ") :]
                for name in sorted(set(model_names())):
                    if name.startswith(typed):
                        yield Completion(name, start_position=-len(typed))
            elif text.startswith("/") and " " not in text:
                for command in [*COMMANDS, "/quit"]:
                    if command.startswith(text):
                        yield Completion(command, start_position=-len(text))

    return ChatCompleter()


def _private_file(path: Path) -> Path:
    """The history file, created 0600 in a 0700 directory (it holds everything typed)."""
    from liminal.private import FILE_MODE, private_dir

    private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, FILE_MODE))
    os.chmod(path, FILE_MODE)
    return path


class TerminalInput:
    """Reads one turn at a time from the terminal (prompt_toolkit)."""

    def __init__(self, history_dir: Path, model_names: Callable[[], Iterable[str]]) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.filters import Condition
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        self.multiline = False
        bindings = KeyBindings()

        # Alt+Enter adds a line in single-line mode; in multi-line mode prompt_toolkit's own
        # bindings already swap them (Enter adds a line, Alt+Enter sends).
        @bindings.add("escape", "enter", filter=Condition(lambda: not self.multiline))
        def _(event: Any) -> None:
            event.current_buffer.insert_text("\n")

        self._session: Any = PromptSession(
            history=FileHistory(str(_private_file(history_dir / HISTORY_FILE))),
            completer=_completer(model_names),
            complete_while_typing=False,
            key_bindings=bindings,
            enable_open_in_editor=False,
        )

    def read(self) -> str | None:
        """The next turn; "" when Ctrl-C cleared the line; None at Ctrl-D."""
        prompt = "… " if self.multiline else "> "
        try:
            return str(self._session.prompt(prompt, multiline=self.multiline))
        except KeyboardInterrupt:
            return ""
        except EOFError:
            return None

    def toggle_multiline(self) -> bool:
        self.multiline = not self.multiline
        return self.multiline
