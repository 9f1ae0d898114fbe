"""Typed values exchanged between the core, plugins and the CLI.

Every value is a frozen attrs class; their JSON form is owned by
:mod:`liminal._serialize` (one cattrs converter).
"""

from __future__ import annotations

import enum

import attrs

__all__ = [
    "COMMON_PARAMETERS",
    "Capabilities",
    "ChatRequest",
    "ChatResult",
    "Finish",
    "FinishReason",
    "KeyStatus",
    "Message",
    "ModelInfo",
    "ProviderInfo",
    "Role",
    "StreamEvent",
    "TextDelta",
    "Usage",
]

#: Parameters most chat models accept; a model narrows or widens this set.
COMMON_PARAMETERS: tuple[str, ...] = ("temperature", "top_p", "max_tokens", "stop", "seed")


class Role(str, enum.Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class FinishReason(str, enum.Enum):
    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content_filter"
    TOOL_CALLS = "tool_calls"
    REFUSAL = "refusal"
    CONTEXT_WINDOW = "context_window"


class KeyStatus(str, enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@attrs.frozen
class ProviderInfo:
    """A provider a plugin contributes.

    ``service`` is the dotted path ``package.module:ClassName`` of its
    :class:`~liminal.provider.service.LlmService`; it is imported only when a request
    is made, so listing models never imports a provider SDK.
    """

    id: str
    display_name: str
    service: str
    key_env_var: str | None = None
    default_base_url: str | None = None
    base_url_env_var: str | None = None
    #: False for providers that need no key (a local server).
    requires_key: bool = True


@attrs.frozen
class Capabilities:
    streaming: bool = True
    tools: bool = False
    vision: bool = False
    json_schema: bool = False
    reasoning: bool = False
    system_prompt: bool = True

    def names(self) -> list[str]:
        """The names of the capabilities this model has, in a stable order."""
        return [f.name for f in attrs.fields(Capabilities) if getattr(self, f.name)]


@attrs.frozen
class ModelInfo:
    id: str
    provider: str
    display_name: str
    context_window: int
    max_output_tokens: int
    capabilities: Capabilities = Capabilities()
    aliases: tuple[str, ...] = ()
    deprecated: bool = False
    #: Request parameters (``-o NAME VALUE``) the model accepts.
    parameters: tuple[str, ...] = COMMON_PARAMETERS
    #: Where the model is served when it is not the provider's default (compatible servers).
    base_url: str | None = None
    #: Env var holding the key for ``base_url`` when it differs from the provider's.
    key_env_var: str | None = None


@attrs.frozen
class Message:
    role: Role
    content: str
    #: The model that produced an assistant message (None for user/system turns).
    model: str | None = None


@attrs.frozen
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    system: str | None = None
    parameters: dict[str, str | int | float | bool | list[str] | None] = attrs.field(factory=dict)
    #: Total deadline in seconds for this call (None: the configured default).
    timeout: float | None = None


@attrs.frozen
class TextDelta:
    text: str


@attrs.frozen
class Usage:
    input: int
    output: int


@attrs.frozen
class Finish:
    reason: FinishReason
    #: What the provider said, verbatim (``end_turn``, ``stop``…).
    raw_reason: str | None = None


StreamEvent = TextDelta | Usage | Finish


@attrs.frozen
class ChatResult:
    text: str
    finish_reason: FinishReason
    model: str
    usage: Usage | None = None
    request_id: str | None = None
    raw_finish_reason: str | None = None
