"""The errors docs/troubleshooting.md quotes are the ones the commands print: each case is run,
and its `Error` and `Hint` lines must appear on the page as they are (paths shortened to …)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.clirunner import Liminal

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md").read_text("utf-8")


def _quoted(stderr: str, home: Path) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.startswith(("Error [", "Hint:"))]
    assert len(lines) == 2, stderr
    return [line.replace(str(home), "…") for line in lines]


def _assert_on_page(stderr: str, home: Path) -> None:
    for line in _quoted(stderr, home):
        assert line in PAGE, f"troubleshooting.md does not quote: {line}"


@pytest.fixture
def run(tmp_path: Path) -> Liminal:
    liminal = Liminal(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"retry": {"max_attempts": 1}}))
    (tmp_path / "config.json").chmod(0o600)
    return liminal


def _keys_file(home: Path, text: str, mode: int) -> None:
    path = home / "keys.json"
    path.write_text(text)
    path.chmod(mode)


def test_key_file_too_open(run: Liminal, tmp_path: Path) -> None:
    _keys_file(tmp_path, json.dumps({"version": 1, "providers": {}}), 0o644)
    done = run("prompt", "-m", "gpt-4o-mini", "hi")
    assert done.returncode == 2
    _assert_on_page(done.stderr, tmp_path)


def test_key_file_not_valid(run: Liminal, tmp_path: Path) -> None:
    _keys_file(tmp_path, "{not json", 0o600)
    done = run("prompt", "-m", "gpt-4o-mini", "hi")
    assert done.returncode == 2
    _assert_on_page(done.stderr, tmp_path)


def test_no_key(run: Liminal, tmp_path: Path) -> None:
    done = run("prompt", "-m", "gpt-4o-mini", "hi")
    assert done.returncode == 3
    _assert_on_page(done.stderr, tmp_path)


def test_unknown_model(run: Liminal, tmp_path: Path) -> None:
    done = run("prompt", "-m", "smolm2", "hi")
    assert done.returncode == 2
    _assert_on_page(done.stderr, tmp_path)


def test_llama_server_not_there(run: Liminal, tmp_path: Path) -> None:
    run.env["LIMINAL_LLAMA_SERVER"] = "/opt/llama/llama-server"
    done = run("prompt", "-m", "smollm2", "hi")
    assert done.returncode == 5
    _assert_on_page(done.stderr, tmp_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_base_url_where_nothing_listens(run: Liminal, tmp_path: Path) -> None:
    run.env["OPENAI_API_KEY"] = "sk-troubleshooting-test-key"
    run.env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{_free_port()}/v1"
    done = run("prompt", "-m", "gpt-4o-mini", "hi")
    assert done.returncode == 5
    _assert_on_page(done.stderr, tmp_path)


class _WebPage(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body>Welcome</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_base_url_of_a_web_page(run: Liminal, tmp_path: Path, web_page: str) -> None:
    run.env["OPENAI_API_KEY"] = "sk-troubleshooting-test-key"
    run.env["OPENAI_BASE_URL"] = web_page
    done = run("prompt", "-m", "gpt-4o-mini", "hi")
    assert done.returncode == 5
    _assert_on_page(done.stderr, tmp_path)
