"""The gate in front of every request: the Host and Origin checks, then the token.

A page on any web site can make the browser send requests to 127.0.0.1, and a DNS name can
be rebound to 127.0.0.1 to read the answers. So a request is refused unless its ``Host`` is
one the server is known by (rebinding sends the attacker's name), its ``Origin``, when a
browser sends one, is the app's own (cross-site requests), and it carries the random token
of this launch: in the printed URL's ``?token=``, which is swapped for a cookie at once.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["Guard", "error_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Query parameter of the printed URL.
TOKEN_PARAM = "token"


def error_body(code: str, message: str, hint: str | None = None) -> bytes:
    """The JSON form of every error the API returns."""
    return json.dumps({"error": {"code": code, "message": message, "hint": hint}}).encode()


class Guard:
    """ASGI middleware. ``hosts``: the ``Host`` values allowed (``host:port``), or None to
    accept any (a wildcard bind with ``--allow-remote``: then the Origin must match the Host).
    """

    def __init__(self, app: App, *, token: str, hosts: Iterable[str] | None, cookie: str) -> None:
        self.app = app
        self.token = token
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)
        self.cookie = cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: no request to check
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if self.hosts is not None and host not in self.hosts:
            await _refuse(
                send,
                f"this server does not answer to Host {host or '(none)'!r}",
                "open the URL `liminal ui` printed (a foreign Host is how DNS rebinding works)",
            )
            return
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host}":
            await _refuse(
                send,
                f"cross-site request from {origin!r} refused",
                "only the page `liminal ui` serves may call its API",
            )
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if self._valid(query.get(TOKEN_PARAM)) and scope["method"] == "GET":
            await self._swap_for_cookie(scope, query, send)
            return
        if not self._valid(_cookie(headers.get("cookie", ""), self.cookie)):
            await _refuse(
                send,
                "missing or wrong token",
                "open the URL `liminal ui` printed; each launch has a new token",
            )
            return
        await self.app(scope, receive, send)

    def _valid(self, candidate: str | None) -> bool:
        # As bytes: compare_digest refuses str that is not ASCII, and anyone can send that.
        return candidate is not None and hmac.compare_digest(
            candidate.encode(), self.token.encode()
        )

    async def _swap_for_cookie(self, scope: Scope, query: dict[str, str], send: Send) -> None:
        """Set the cookie and send the browser to the same URL without the token, so it
        stays out of the history, bookmarks and any Referer."""
        rest = urlencode({k: v for k, v in query.items() if k != TOKEN_PARAM})
        location = scope["path"] + (f"?{rest}" if rest else "")
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _refuse(send: Send, message: str, hint: str) -> None:
    body = error_body("PERMISSION_DENIED", message, hint)
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
