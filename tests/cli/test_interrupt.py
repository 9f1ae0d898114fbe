"""Ctrl-C says ``Interrupted.`` and exits 130, as docs/usage.md says."""

from __future__ import annotations

import signal
import subprocess
from typing import TYPE_CHECKING

from support.procs import read_at_least, reaped, spawn_liminal

if TYPE_CHECKING:
    from support.clirunner import Liminal


def test_ctrl_c_while_a_chat_waits_for_input(cli: Liminal) -> None:
    process = spawn_liminal(["chat", "-m", "smollm2"], cli.env, stdin=subprocess.PIPE)
    with reaped(process):
        assert process.stderr is not None
        banner = read_at_least(process.stderr, len("Chatting with"), timeout=60)
        assert banner.startswith("Chatting with"), banner
        process.send_signal(signal.SIGINT)  # waiting for the first line now
        _, rest = process.communicate(timeout=30)

    assert process.returncode == 130, rest
    assert rest.strip().splitlines()[-1] == "Interrupted."
    assert "Aborted" not in rest
