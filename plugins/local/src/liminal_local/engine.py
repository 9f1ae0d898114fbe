"""The local engine: llama.cpp's own server (``xllamacpp``) in a child Python process.

Run as ``python -m liminal_local.engine`` by :class:`liminal_local.server.LlamaServer`, never
in the CLI's own process: a native crash (say SIGILL on a CPU the build does not suit) ends
this process only, and the parent reports it.

The protocol, one JSON object per line:

- the parent writes the settings, API keys included, on our standard input (never on the
  command line or in the environment, where other local users could read them);
- we answer on standard output ``{"ready": true, "address": ...}`` once the model is loaded
  and the server listens, or ``{"error": ...}`` when it could not start;
- then we serve until our standard input ends: the parent closed it, exited or was killed.

Everything the engine logs goes to standard error, which the parent keeps in an unlinked file.
Standard library and ``xllamacpp`` only: no import of ``liminal``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import IO, Any

__all__ = ["main"]

#: Exit status when the engine could not start (the reason was sent to the parent).
START_FAILED = 3


def _answer(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _params(settings: dict[str, Any]) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = settings["model"]
    params.hostnames = [settings["host"]]
    params.port = settings["port"]
    params.api_keys = list(settings["api_keys"])
    params.model_alias = {settings["alias"]}
    params.n_ctx = settings["ctx_size"]
    params.n_parallel = settings["parallel"]
    params.cpuparams.n_threads = settings["threads"]
    params.cpuparams_batch.n_threads = settings["threads"]
    if settings.get("repeat_penalty") is not None:
        params.sampling.penalty_repeat = float(settings["repeat_penalty"])
    return params


def main() -> None:
    # Ctrl-C is the parent's to handle: it closes our standard input, and we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # The answers get a private copy of stdout; native code printing to fd 1 lands in the log.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    settings = json.loads(sys.stdin.buffer.readline() or b"{}")
    try:
        import xllamacpp
    except ImportError as exc:
        _answer(answers, {"error": "engine-missing", "message": str(exc)})
        sys.exit(START_FAILED)
    try:
        server = xllamacpp.Server(_params(settings))
    except (RuntimeError, ValueError, TypeError, KeyError) as exc:
        _answer(answers, {"error": "start-failed", "message": str(exc)})
        # A normal exit: llama.cpp's log thread writes out why before the process ends.
        sys.exit(START_FAILED)
    _answer(answers, {"ready": True, "address": server.listening_address})
    while sys.stdin.buffer.read(4096):
        pass  # nothing more is sent; end of input means the parent is gone
    # No clean shutdown needed: nothing on disk, and the kernel closes the sockets.
    os._exit(0)


if __name__ == "__main__":
    main()
