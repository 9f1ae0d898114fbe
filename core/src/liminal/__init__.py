"""Liminal: talk to large language models from many providers through one interface.

    import liminal
    print(liminal.get_model("smollm2").prompt("Say hello").text())

The public names are loaded on first use (PEP 562), so ``import liminal`` is cheap and
the CLI starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal._lazy import lazy
from liminal._version import __version__

#: Where each public name lives.
_EXPORTS = {
    "Answer": "liminal.conversation",
    "AsyncModel": "liminal.api",
    "AsyncResponse": "liminal.api",
    "Conversation": "liminal.conversation",
    "Model": "liminal.api",
    "Response": "liminal.api",
    "get_async_model": "liminal.api",
    "get_model": "liminal.api",
    "get_models": "liminal.api",
    "ErrorCode": "liminal.errors",
    "LiminalError": "liminal.errors",
    "hookimpl": "liminal.hookspecs",
    "Secret": "liminal.keys.secret",
    "COMMON_PARAMETERS": "liminal.types",
    "Capabilities": "liminal.types",
    "ChatRequest": "liminal.types",
    "ChatResult": "liminal.types",
    "Finish": "liminal.types",
    "FinishReason": "liminal.types",
    "KeyStatus": "liminal.types",
    "Message": "liminal.types",
    "ModelInfo": "liminal.types",
    "ProviderInfo": "liminal.types",
    "Role": "liminal.types",
    "StreamEvent": "liminal.types",
    "TextDelta": "liminal.types",
    "Usage": "liminal.types",
}

__all__ = [
    "COMMON_PARAMETERS",
    "Answer",
    "AsyncModel",
    "AsyncResponse",
    "Capabilities",
    "ChatRequest",
    "ChatResult",
    "Conversation",
    "ErrorCode",
    "Finish",
    "FinishReason",
    "KeyStatus",
    "LiminalError",
    "Message",
    "Model",
    "ModelInfo",
    "ProviderInfo",
    "Response",
    "Role",
    "Secret",
    "StreamEvent",
    "TextDelta",
    "Usage",
    "__version__",
    "get_async_model",
    "get_model",
    "get_models",
    "hookimpl",
]


__getattr__, __dir__ = lazy(globals(), _EXPORTS)


if TYPE_CHECKING:
    from liminal.api import (
        AsyncModel,
        AsyncResponse,
        Model,
        Response,
        get_async_model,
        get_model,
        get_models,
    )
    from liminal.conversation import Answer, Conversation
    from liminal.errors import ErrorCode, LiminalError
    from liminal.hookspecs import hookimpl
    from liminal.keys.secret import Secret
    from liminal.types import (
        COMMON_PARAMETERS,
        Capabilities,
        ChatRequest,
        ChatResult,
        Finish,
        FinishReason,
        KeyStatus,
        Message,
        ModelInfo,
        ProviderInfo,
        Role,
        StreamEvent,
        TextDelta,
        Usage,
    )
