"""The guard, over HTTP against a running `liminal ui`: token, Host and Origin."""

from __future__ import annotations

import json

import pytest

from support.uiserver import UiServer

PATHS = ["/", "/api/models", "/api/conversations", "/static/app.js"]


def refused(status: int, body: bytes) -> str:
    assert status == 403
    error = json.loads(body)["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert error["hint"]
    return str(error["message"])


@pytest.mark.parametrize("path", PATHS)
def test_requests_without_the_token_are_refused(server: UiServer, path: str) -> None:
    status, _, body = server.request("GET", path, authorized=False)
    assert refused(status, body) == "missing or wrong token"


def test_a_wrong_token_is_refused(server: UiServer) -> None:
    wrong = server.token[:-1] + ("A" if server.token[-1] != "A" else "B")
    status, _, body = server.request(
        "GET",
        "/api/models",
        authorized=False,
        headers={"Cookie": f"liminal_ui_{server.port}={wrong}"},
    )
    assert refused(status, body) == "missing or wrong token"
    status, _, body = server.request("GET", f"/?token={wrong}", authorized=False)
    assert refused(status, body) == "missing or wrong token"


def test_a_post_without_the_token_is_refused(server: UiServer) -> None:
    status, data = server.post_json(
        "/api/chat", {"text": "hi", "model": "smollm2"}, authorized=False
    )
    assert status == 403
    assert data["error"]["code"] == "PERMISSION_DENIED"


def test_the_printed_url_sets_the_cookie_and_drops_the_token(server: UiServer) -> None:
    path = server.url.removeprefix(server.base)
    status, headers, _ = server.request("GET", path, authorized=False)
    assert status == 303
    assert headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"{server.cookie};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    status, headers, body = server.request("GET", "/")
    assert status == 200
    assert b'id="message"' in body
    assert "default-src 'self'" in headers["content-security-policy"]


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "127.0.0.2:{port}", ""]
)
def test_a_foreign_host_is_refused_even_with_the_token(server: UiServer, host: str) -> None:
    status, _, body = server.request(
        "GET", "/api/models", headers={"Host": host.format(port=server.port)}
    )
    assert "does not answer to Host" in refused(status, body)


def test_localhost_is_a_host_of_its_own(server: UiServer) -> None:
    status, _, _ = server.request(
        "GET", "/api/models", headers={"Host": f"localhost:{server.port}"}
    )
    assert status == 200


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}"]
)
def test_a_foreign_origin_is_refused_even_with_the_token(server: UiServer, origin: str) -> None:
    status, data = server.post_json(
        "/api/select",
        {"model": "smollm2"},
        headers={"Origin": origin.format(port=server.port)},
    )
    assert status == 403
    assert "cross-site request" in data["error"]["message"]


def test_the_apps_own_origin_is_accepted(server: UiServer) -> None:
    status, data = server.post_json(
        "/api/select", {"model": "smollm2"}, headers={"Origin": server.base}
    )
    assert status == 200, data
    assert data == {"model": "smollm2", "switched": None}
