"""``liminal ui`` in a child process, for the HTTP and browser tests: its printed URL, token
and port, and a clean stop (reaped) however the test ends."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from support.procs import expect_output, reaped

LIMINAL = str(Path(sys.executable).with_name("liminal"))
#: Seconds for `liminal ui` to print its URL (imports and binding; no model is loaded yet).
STARTUP = 60


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment minus provider keys and endpoints, with an isolated LIMINAL_HOME."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("LIMINAL_")
    }
    env["LIMINAL_HOME"] = str(home)
    env.update(extra)
    return env


@attrs.frozen
class UiServer:
    url: str
    host: str
    port: int
    token: str
    process: subprocess.Popen[str]

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def cookie(self) -> str:
        return f"liminal_ui_{self.port}={self.token}"

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        authorized: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; ``headers`` may replace Host. Status, headers, body."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            sent = {"Host": f"{self.host}:{self.port}"}
            if authorized:
                sent["Cookie"] = self.cookie
            sent.update(headers or {})
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in sent.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def post_json(self, path: str, data: Any, **kwargs: Any) -> tuple[int, Any]:
        status, _, body = self.request(
            "POST",
            path,
            headers={"Content-Type": "application/json", **kwargs.pop("headers", {})},
            body=json.dumps(data).encode(),
            **kwargs,
        )
        return status, json.loads(body)


@contextmanager
def ui_server(env: Mapping[str, str], *args: str) -> Iterator[UiServer]:
    process = subprocess.Popen(
        [LIMINAL, "ui", "--no-browser", *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with reaped(process):
        first = expect_output(process, 1, timeout=STARTUP)
        while "\n" not in first:
            first += expect_output(process, 1, timeout=STARTUP)
        line = first.splitlines()[0]
        assert line.startswith("Liminal UI: http://"), line
        url = line.removeprefix("Liminal UI: ")
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        token = parse_qs(parts.query)["token"][0]
        yield UiServer(url, parts.hostname, parts.port, token, process)
