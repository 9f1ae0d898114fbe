"""Serving the app: the socket, the token, the printed URL, the browser, uvicorn."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable, Mapping
from typing import Any

from liminal.errors import ErrorCode, LiminalError
from liminal.web.guard import TOKEN_PARAM, App, Guard

__all__ = ["allowed_hosts", "guarded_app", "is_loopback", "serve"]

_WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name: it may resolve to anything
        return False


def allowed_hosts(host: str, port: int) -> list[str] | None:
    """The ``Host`` values a browser sends to this server; None (any) for a wildcard bind,
    which answers to whatever name or address reaches the machine."""
    if host in _WILDCARDS:
        return None
    bare = host.strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    names = {shown, "localhost"} if is_loopback(host) else {shown}
    if bare == "127.0.0.1":
        names.add("localhost")
    return [f"{name}:{port}" for name in sorted(names)]


def guarded_app(app: App, *, host: str, port: int, token: str) -> Guard:
    """``app`` behind the Host, Origin and token checks of this launch."""
    return Guard(app, token=token, hosts=allowed_hosts(host, port), cookie=f"liminal_ui_{port}")


def bind(host: str, port: int) -> socket.socket:
    """Listening before the URL is printed, so a browser opened at once finds the server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port (0 picks a free one)" if port else None,
        ) from exc
    sock.listen(128)
    return sock


def serve(
    *,
    host: str,
    port: int,
    allow_remote: bool,
    parameters: Mapping[str, Any],
    announce: Callable[[str], None],
) -> None:
    """Run until Ctrl-C. ``announce`` receives the URL (with its token) once listening, so
    a browser opened then finds the server."""
    if not is_loopback(host) and not allow_remote:
        raise LiminalError(
            ErrorCode.INVALID_REQUEST,
            f"refusing to listen on {host}: other machines could reach it, and through it "
            "your API keys, and its token would cross the network unencrypted (plain HTTP)",
            hint="keep the default 127.0.0.1, or pass --allow-remote if you mean it",
        )
    import uvicorn

    from liminal.web.app import create_app

    sock = bind(host, port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    shown = "127.0.0.1" if host in _WILDCARDS else host.strip("[]")
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/?{TOKEN_PARAM}={token}"
    # Announced from the app's start-up: listening, and Ctrl-C already means "shut down".
    app = create_app(parameters=parameters, on_ready=lambda: announce(url))
    config = uvicorn.Config(
        guarded_app(app, host=host, port=port, token=token),
        log_level="warning",
        access_log=False,  # request lines would carry the first URL's token
        timeout_graceful_shutdown=3,
        lifespan="on",
    )
    uvicorn.Server(config).run(sockets=[sock])
