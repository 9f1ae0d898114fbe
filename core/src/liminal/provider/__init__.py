"""What a provider plugin imports besides :mod:`liminal`: the pinned namespace for plugin authors.

    from liminal import ChatRequest, LiminalError, ModelInfo, ProviderInfo, hookimpl
    from liminal.provider import ModelFamily, ServiceContext, check_event_stream, error_from_http

Every name here is public and kept stable (a test pins the list); the modules below it are
not: import from ``liminal.provider`` itself. Names are loaded on first use, so importing
this costs next to nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal._lazy import lazy

#: Where each public name lives.
_EXPORTS = {
    # The service contract and what the core hands a service
    "ClientPool": "liminal.provider.service",
    "LlmService": "liminal.provider.service",
    "Progress": "liminal.provider.service",
    "ServiceContext": "liminal.provider.service",
    "Timeouts": "liminal.provider.service",
    "current_key": "liminal.provider.service",
    # Registries and catalogues
    "ModelRegistry": "liminal.provider.registry",
    "ProviderRegistry": "liminal.provider.registry",
    "RegistryError": "liminal.provider.registry",
    "ModelFamily": "liminal.provider.catalog",
    # From an SDK's or a server's failure to a LiminalError
    "error_from_body": "liminal.provider.mapping",
    "error_from_exception": "liminal.provider.mapping",
    "error_from_http": "liminal.provider.mapping",
    "error_from_sdk": "liminal.provider.mapping",
    "parse_retry_after": "liminal.provider.mapping",
    "transport_error": "liminal.provider.mapping",
    # Streams
    "check_event_stream": "liminal.provider.streaming",
    "drain": "liminal.provider.streaming",
    "ended_early": "liminal.provider.streaming",
    "guard_malformed": "liminal.provider.streaming",
    "malformed": "liminal.provider.streaming",
    "not_an_api_answer": "liminal.provider.streaming",
    "SseDecoder": "liminal.provider.sse",
    "body_chunks": "liminal.provider.sse",
    "json_loads": "liminal.provider.sse",
    # The lean HTTP/1.1 transport under an SDK's client
    "Http1Transport": "liminal.provider.http1",
    "http_client": "liminal.provider.http",
    # A plugin's own files
    "BadSetting": "liminal._files",
    "UserFile": "liminal._files",
    "write_atomically": "liminal._files",
    "config_dir": "liminal._paths",
    "data_dir": "liminal._paths",
    "from_json": "liminal._serialize",
    "structure": "liminal._serialize",
    "to_json": "liminal._serialize",
    "unstructure": "liminal._serialize",
}

__all__ = [
    "BadSetting",
    "ClientPool",
    "Http1Transport",
    "LlmService",
    "ModelFamily",
    "ModelRegistry",
    "Progress",
    "ProviderRegistry",
    "RegistryError",
    "ServiceContext",
    "SseDecoder",
    "Timeouts",
    "UserFile",
    "body_chunks",
    "check_event_stream",
    "config_dir",
    "current_key",
    "data_dir",
    "drain",
    "ended_early",
    "error_from_body",
    "error_from_exception",
    "error_from_http",
    "error_from_sdk",
    "from_json",
    "guard_malformed",
    "http_client",
    "json_loads",
    "malformed",
    "not_an_api_answer",
    "parse_retry_after",
    "structure",
    "to_json",
    "transport_error",
    "unstructure",
    "write_atomically",
]


__getattr__, __dir__ = lazy(globals(), _EXPORTS)


if TYPE_CHECKING:
    from liminal._files import BadSetting, UserFile, write_atomically
    from liminal._paths import config_dir, data_dir
    from liminal._serialize import from_json, structure, to_json, unstructure
    from liminal.provider.catalog import ModelFamily
    from liminal.provider.http import http_client
    from liminal.provider.http1 import Http1Transport
    from liminal.provider.mapping import (
        error_from_body,
        error_from_exception,
        error_from_http,
        error_from_sdk,
        parse_retry_after,
        transport_error,
    )
    from liminal.provider.registry import ModelRegistry, ProviderRegistry, RegistryError
    from liminal.provider.service import (
        ClientPool,
        LlmService,
        Progress,
        ServiceContext,
        Timeouts,
        current_key,
    )
    from liminal.provider.sse import SseDecoder, body_chunks, json_loads
    from liminal.provider.streaming import (
        check_event_stream,
        drain,
        ended_early,
        guard_malformed,
        malformed,
        not_an_api_answer,
    )
