"""Why a local engine did not start, in words that say what to do.

Standard library only, and no import of ``liminal``: the test suite uses it with the server.
"""

from __future__ import annotations

import enum
import os
import signal
from pathlib import Path

__all__ = ["Failure", "LlamaServerError", "check_model_file", "died", "load_failure"]

#: The first bytes of every GGUF file.
GGUF_MAGIC = b"GGUF"
ENGINE_INSTALL = "pip install xllamacpp"
OWN_BINARY_HINT = (
    "set LIMINAL_LLAMA_SERVER to a llama-server built on this machine (see docs/providers/local.md)"
)


class Failure(str, enum.Enum):
    """What went wrong; the provider maps MODEL to INVALID_REQUEST and the rest to SERVER_ERROR."""

    #: The model file is missing, unreadable, not a GGUF file, or llama.cpp could not load it.
    MODEL = "model"
    #: The engine is not installed, or the ``LIMINAL_LLAMA_SERVER`` binary cannot run.
    ENGINE = "engine"
    #: The engine died on a signal or exited with an error.
    CRASH = "crash"
    #: The port is already taken.
    PORT = "port"
    #: The model did not load in time.
    TIMEOUT = "timeout"


class LlamaServerError(RuntimeError):
    """The local engine is missing, or did not start. ``str()`` is one line with the hint."""

    def __init__(self, kind: Failure, message: str, hint: str) -> None:
        self.kind = kind
        self.message = message
        self.hint = hint
        super().__init__(f"{message}; {hint}")


def check_model_file(path: Path) -> None:
    """Fail before starting anything when ``path`` cannot be a model llama.cpp loads."""
    hint = (
        "check the path with `liminal local list`, or add the model again with `liminal local add`"
    )
    if not path.exists():
        raise LlamaServerError(Failure.MODEL, f"model file {path} does not exist", hint)
    if not path.is_file():
        raise LlamaServerError(Failure.MODEL, f"model file {path} is not a file", hint)
    try:
        with path.open("rb") as file:
            magic = file.read(len(GGUF_MAGIC))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LlamaServerError(
            Failure.MODEL,
            f"model file {path} cannot be read ({reason})",
            "give your user read access to it (chmod u+r)",
        ) from exc
    if magic != GGUF_MAGIC:
        raise LlamaServerError(
            Failure.MODEL,
            f"model file {path} is not a GGUF file (it starts with {magic!r}, not {GGUF_MAGIC!r})",
            "llama.cpp runs .gguf files only: download or convert the model to GGUF",
        )


def died(returncode: int, what: str, log_tail: str, hint: str | None = None) -> LlamaServerError:
    """The engine process ended with ``returncode`` before it was ready or while serving.

    ``hint`` replaces the generic advice for an exit status (e.g. for a user's own binary).
    """
    if returncode < 0:
        number = -returncode
        sig = signal.Signals(number) if number in _SIGNALS else None
        return _killed_by(sig, number, what, log_tail)
    return LlamaServerError(
        Failure.CRASH,
        f"{what} exited with code {returncode}; last log lines: {log_tail}",
        hint or "the log lines say why; if they do not, run again with --debug and report it",
    )


_SIGNALS = {int(s) for s in signal.Signals}


def _killed_by(sig: signal.Signals | None, number: int, what: str, tail: str) -> LlamaServerError:
    name = sig.name if sig is not None else f"signal {number}"
    if sig is signal.SIGILL:
        return LlamaServerError(
            Failure.CRASH,
            f"{what} died with SIGILL (illegal instruction): this CPU cannot run this build of "
            "llama.cpp",
            f"update the engine (`{ENGINE_INSTALL} -U`), or {OWN_BINARY_HINT}",
        )
    if sig is signal.SIGKILL:
        return LlamaServerError(
            Failure.CRASH,
            f"{what} was killed (SIGKILL), most likely for lack of memory",
            "close other programs, or use a smaller model or context window",
        )
    return LlamaServerError(
        Failure.CRASH,
        f"{what} died with {name}; last log lines: {tail}",
        f"update the engine (`{ENGINE_INSTALL} -U`), or {OWN_BINARY_HINT}",
    )


def load_failure(model: Path, log: str, tail: str) -> LlamaServerError | None:
    """The model-loading error llama.cpp logged, if that is why it stopped."""
    reasons = [
        line.split("error loading model:", 1)[1].strip()
        for line in log.splitlines()
        if "error loading model:" in line
    ]
    if not reasons and "failed to load model" not in log:
        return None
    reason = reasons[-1] if reasons else tail
    return LlamaServerError(
        Failure.MODEL,
        f"llama.cpp could not load {model.name}: {reason}",
        "the file may be incomplete or of a model llama.cpp does not support; download it again",
    )


def can_run(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
