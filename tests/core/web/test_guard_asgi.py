"""The guard in process, as ASGI middleware around a stub app: the cases a running server
cannot show (a wildcard bind, a token in a POST's query), and the order of the checks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from liminal.web.guard import Guard

TOKEN = "t" * 43
COOKIE = f"liminal_ui_8000={TOKEN}"


async def stub(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def call(
    guard: Guard,
    *,
    method: str = "GET",
    path: str = "/api/models",
    query: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    start, body = sent
    headers_out = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers_out, body["body"]


@pytest.fixture
def local() -> Guard:
    return Guard(
        stub, token=TOKEN, hosts=["127.0.0.1:8000", "localhost:8000"], cookie="liminal_ui_8000"
    )


@pytest.fixture
def wildcard() -> Guard:
    return Guard(stub, token=TOKEN, hosts=None, cookie="liminal_ui_8000")


def message(body: bytes) -> str:
    return str(json.loads(body)["error"]["message"])


def test_everything_checked_passes(local: Guard) -> None:
    headers = {
        "Host": "127.0.0.1:8000",
        "Cookie": f"a=b; {COOKIE}",
        "Origin": "http://127.0.0.1:8000",
    }
    assert call(local, headers=headers) == (200, {}, b"ok")


def test_the_host_is_checked_before_the_token(local: Guard) -> None:
    status, _, body = call(local, headers={"Host": "evil.example:8000"})
    assert status == 403
    assert "Host" in message(body)


def test_a_token_in_a_posts_query_is_not_enough(local: Guard) -> None:
    status, _, body = call(
        local,
        method="POST",
        path="/api/chat",
        query=f"token={TOKEN}",
        headers={"Host": "127.0.0.1:8000"},
    )
    assert status == 403
    assert message(body) == "missing or wrong token"


def test_the_token_swap_keeps_other_query_parameters(local: Guard) -> None:
    status, headers, _ = call(
        local, path="/", query=f"token={TOKEN}&x=1", headers={"Host": "localhost:8000"}
    )
    assert status == 303
    assert headers["location"] == "/?x=1"


def test_a_cookie_of_another_launch_is_not_this_one(local: Guard) -> None:
    status, _, _ = call(
        local, headers={"Host": "127.0.0.1:8000", "Cookie": f"liminal_ui_9000={TOKEN}"}
    )
    assert status == 403


def test_a_wildcard_bind_answers_any_host_but_only_its_own_origin(wildcard: Guard) -> None:
    headers = {"Host": "192.0.2.7:8000", "Cookie": COOKIE}
    assert call(wildcard, headers=headers)[0] == 200
    assert call(wildcard, headers={**headers, "Origin": "http://192.0.2.7:8000"})[0] == 200
    status, _, body = call(wildcard, headers={**headers, "Origin": "http://evil.example"})
    assert status == 403
    assert "cross-site" in message(body)
    assert call(wildcard, headers={"Host": "192.0.2.7:8000"})[0] == 403  # still the token


def test_lifespan_passes_through(local: Guard) -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def nothing() -> dict[str, Any]:
        return {}

    async def ignore(message: Any) -> None:
        return None

    asyncio.run(
        Guard(app, token=TOKEN, hosts=[], cookie="c")({"type": "lifespan"}, nothing, ignore)
    )
    assert seen == ["lifespan"]


@pytest.mark.parametrize("token", ["é" * 43, "%C3%A9", ""])
def test_a_token_that_is_not_ascii_is_refused_not_a_crash(local: Guard, token: str) -> None:
    headers = {"Host": "127.0.0.1:8000", "Cookie": f"liminal_ui_8000={token}"}
    assert call(local, headers=headers)[0] == 403
    assert call(local, path="/", query=f"token={token}", headers=headers)[0] == 403
