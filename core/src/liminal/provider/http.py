"""Which HTTP client a provider's SDK gets: Liminal's lean transport, or the SDK's own.

Importing this module imports no HTTP library; :func:`http_client` loads ``httpx2`` and
:mod:`liminal.provider.http1` when it is called, which a service does when it builds its SDK
client for the first request.
"""

from __future__ import annotations

import os
import urllib.request
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

__all__ = ["HTTP_ENV", "http_client", "lean_http_enabled"]

#: ``LIMINAL_HTTP=sdk`` turns the lean transport off: each SDK keeps its own HTTP client.
HTTP_ENV = "LIMINAL_HTTP"


def lean_http_enabled() -> bool:
    """False when ``LIMINAL_HTTP=sdk``, or when the environment names a proxy (the SDK's own
    client knows proxies; the lean transport connects only directly)."""
    if os.environ.get(HTTP_ENV, "").strip().lower() == "sdk":
        return False
    proxies = urllib.request.getproxies()  # what httpx2 reads: the environment, or the OS
    return not any(scheme in proxies for scheme in ("http", "https", "all"))


def http_client(
    *,
    limits: httpx2.Limits | None = None,
    timeout: httpx2.Timeout | None = None,
    client_class: type[httpx2.AsyncClient] | None = None,
) -> httpx2.AsyncClient | None:
    """An ``httpx2.AsyncClient`` on :class:`~liminal.provider.http1.Http1Transport`, to pass
    as an SDK's ``http_client``; None where the SDK should keep its own client (see
    :func:`lean_http_enabled`).

    Pass the SDK's ``DefaultAsyncHttpxClient`` as ``client_class`` and its connection limits
    as ``limits``, so that everything but the transport stays as the SDK would set it.
    """
    if not lean_http_enabled():
        return None
    import httpx2

    from liminal.provider.http1 import Http1Transport

    kwargs: dict[str, Any] = {"follow_redirects": True}
    if timeout is not None:
        kwargs["timeout"] = timeout
    if limits is not None:
        kwargs["limits"] = limits
    transport = Http1Transport(limits=limits)
    return (client_class or httpx2.AsyncClient)(transport=transport, **kwargs)
