"""Where `liminal ui` listens: loopback by default, anything else only with --allow-remote."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from liminal.web.serve import allowed_hosts, is_loopback
from support.procs import expect_output, reaped
from support.uiserver import LIMINAL, UiServer, clean_env


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_allowed_hosts() -> None:
    assert allowed_hosts("127.0.0.1", 8000) == ["127.0.0.1:8000", "localhost:8000"]
    assert allowed_hosts("::1", 8000) == ["[::1]:8000", "localhost:8000"]
    assert allowed_hosts("192.168.1.10", 80) == ["192.168.1.10:80"]
    assert allowed_hosts("0.0.0.0", 80) is None  # any name; the Origin must then match it


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_a_non_loopback_host_needs_allow_remote(tmp_path: Path, host: str) -> None:
    result = subprocess.run(
        [LIMINAL, "ui", "--no-browser", "--host", host],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error [INVALID_REQUEST]: refusing to listen on {host}:")
    assert "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [LIMINAL, "ui", "--no-browser", "--port", str(port)],
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_default_is_loopback_and_a_free_port(server: UiServer) -> None:
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert len(server.token) >= 40


def test_it_opens_the_browser_on_the_printed_url_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    process = subprocess.Popen(
        [LIMINAL, "ui"],
        env=clean_env(tmp_path, BROWSER=str(browser)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with reaped(process):
        line = expect_output(process, 1, timeout=60)
        while "\n" not in line:
            line += expect_output(process, 1, timeout=60)
        url = line.splitlines()[0].removeprefix("Liminal UI: ")
        assert url.startswith("http://127.0.0.1:")
        assert "?token=" in url
        deadline = time.monotonic() + 30
        while not (opened.exists() and opened.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text().strip() == url
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 130  # Ctrl-C, as for every command, after a clean shutdown
    assert "Traceback" not in err
    assert "Warning" not in err
