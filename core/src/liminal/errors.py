"""The error taxonomy every provider failure is mapped to (docs/errors.md)."""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["EXIT_CODES", "RETRYABLE", "ErrorCode", "LiminalError"]


class ErrorCode(str, enum.Enum):
    AUTH_INVALID = "AUTH_INVALID"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NO_KEY = "NO_KEY"
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    RATE_LIMITED = "RATE_LIMITED"
    OVERLOADED = "OVERLOADED"
    SERVER_ERROR = "SERVER_ERROR"
    TIMEOUT = "TIMEOUT"
    NETWORK = "NETWORK"
    STREAM_INTERRUPTED = "STREAM_INTERRUPTED"
    CONTEXT_LENGTH_EXCEEDED = "CONTEXT_LENGTH_EXCEEDED"
    CONTENT_FILTERED = "CONTENT_FILTERED"
    INVALID_REQUEST = "INVALID_REQUEST"
    MODEL_NOT_FOUND = "MODEL_NOT_FOUND"
    UNKNOWN = "UNKNOWN"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]

    @property
    def retryable(self) -> bool:
        """Whether the same target may be tried again (before the first token)."""
        return self in RETRYABLE


EXIT_CODES: dict[ErrorCode, int] = {
    ErrorCode.AUTH_INVALID: 3,
    ErrorCode.PERMISSION_DENIED: 3,
    ErrorCode.NO_KEY: 3,
    ErrorCode.QUOTA_EXHAUSTED: 4,
    ErrorCode.RATE_LIMITED: 4,
    ErrorCode.OVERLOADED: 5,
    ErrorCode.SERVER_ERROR: 5,
    ErrorCode.TIMEOUT: 5,
    ErrorCode.NETWORK: 5,
    ErrorCode.STREAM_INTERRUPTED: 5,
    ErrorCode.CONTEXT_LENGTH_EXCEEDED: 6,
    ErrorCode.CONTENT_FILTERED: 6,
    ErrorCode.INVALID_REQUEST: 2,
    ErrorCode.MODEL_NOT_FOUND: 2,
    ErrorCode.UNKNOWN: 1,
}

RETRYABLE: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.RATE_LIMITED,
        ErrorCode.OVERLOADED,
        ErrorCode.SERVER_ERROR,
        ErrorCode.TIMEOUT,
        ErrorCode.NETWORK,
    }
)

_DEFAULT_HINTS: dict[ErrorCode, str] = {
    ErrorCode.AUTH_INVALID: (
        "check the key with `liminal keys check`, or set a new one with `liminal keys set PROVIDER`"
    ),
    ErrorCode.PERMISSION_DENIED: "this key is not allowed to use this model or endpoint",
    ErrorCode.NO_KEY: (
        "set one with `liminal keys set PROVIDER` or the provider's environment variable"
    ),
    ErrorCode.QUOTA_EXHAUSTED: (
        "the account is out of credit or over its usage limit; check billing"
    ),
    ErrorCode.RATE_LIMITED: "wait and try again, or add another key with `liminal keys add`",
    ErrorCode.OVERLOADED: "the provider is overloaded; try again shortly or use another model",
    ErrorCode.SERVER_ERROR: "the provider failed; try again shortly or use another model",
    ErrorCode.TIMEOUT: (
        "try again; to wait longer, raise the total with --timeout or the connect and idle"
        " limits under `timeouts` in config.json"
    ),
    ErrorCode.NETWORK: "check the network connection and the provider's base URL",
    ErrorCode.STREAM_INTERRUPTED: "the answer was cut off; what arrived was kept",
    ErrorCode.CONTEXT_LENGTH_EXCEEDED: (
        "shorten the prompt or pick a model with a larger context window"
    ),
    ErrorCode.CONTENT_FILTERED: "the provider refused this content",
    ErrorCode.INVALID_REQUEST: "check the options passed with -o",
    ErrorCode.MODEL_NOT_FOUND: "see `liminal models list`",
    ErrorCode.UNKNOWN: "run again with --debug for details",
}


class LiminalError(Exception):
    """Every failure Liminal reports. ``__cause__`` is the provider SDK's exception.

    The message never contains a key: plugins build it from the provider's
    error body, and :func:`liminal.keys.secret.redact` scrubs anything key-shaped.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        hint: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        status: int | None = None,
        provider_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        partial_text: str = "",
        retryable: bool | None = None,
    ) -> None:
        from liminal.keys.secret import redact

        self.code = ErrorCode(code)
        self.message = redact(message)
        default_hint = _DEFAULT_HINTS[self.code]
        if provider:
            default_hint = default_hint.replace("PROVIDER", provider)
        self.hint = hint if hint is not None else default_hint
        self.provider = provider
        self.model = model
        self.status = status
        self.provider_code = provider_code
        self.request_id = request_id
        self.retry_after = retry_after
        self.partial_text = partial_text
        #: None: decided by the code; a plugin sets False for a failure that a retry would
        #: only repeat (a local engine that cannot start), True for the opposite.
        self._retryable = retryable
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        return self.code.exit_code

    @property
    def retryable(self) -> bool:
        return self.code.retryable if self._retryable is None else self._retryable

    def evolve(self, **changes: Any) -> LiminalError:
        """A copy with some fields changed, keeping the cause."""
        fields = self._fields()
        code = changes.pop("code", self.code)
        message = changes.pop("message", self.message)
        fields.update(changes)
        new = LiminalError(code, message, **fields)
        new.__cause__ = self.__cause__
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args); ours needs its keyword fields too.
        return (_rebuild, (self.code, self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {
            "hint": self.hint,
            "provider": self.provider,
            "model": self.model,
            "status": self.status,
            "provider_code": self.provider_code,
            "request_id": self.request_id,
            "retry_after": self.retry_after,
            "partial_text": self.partial_text,
            "retryable": self._retryable,
        }

    def __str__(self) -> str:
        return f"[{self.code.value}] {self.message}"

    def __repr__(self) -> str:
        return (
            f"LiminalError(code={self.code.value!r}, message={self.message!r}, "
            f"provider={self.provider!r}, model={self.model!r}, status={self.status!r})"
        )


def _rebuild(code: ErrorCode, message: str, fields: dict[str, Any]) -> LiminalError:
    return LiminalError(code, message, **fields)
