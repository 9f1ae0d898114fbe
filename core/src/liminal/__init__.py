"""Liminal: talk to large language models from many providers through one interface."""

from __future__ import annotations

from liminal.errors import ErrorCode, LiminalError
from liminal.hookspecs import hookimpl
from liminal.keys import Secret
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

__version__ = "0.1.0"

__all__ = [
    "COMMON_PARAMETERS",
    "Capabilities",
    "ChatRequest",
    "ChatResult",
    "ErrorCode",
    "Finish",
    "FinishReason",
    "KeyStatus",
    "LiminalError",
    "Message",
    "ModelInfo",
    "ProviderInfo",
    "Role",
    "Secret",
    "StreamEvent",
    "TextDelta",
    "Usage",
    "__version__",
    "hookimpl",
]
