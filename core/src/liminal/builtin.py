"""The core's own behaviour, registered as a plugin (``DEFAULT_PLUGINS``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal.hookspecs import hookimpl

if TYPE_CHECKING:
    from liminal.errors import LiminalError
    from liminal.types import Message, ModelInfo


@hookimpl(trylast=True)
def liminal_map_error(provider_id: str, error: BaseException) -> LiminalError | None:
    from liminal.provider.mapping import error_from_exception

    return error_from_exception(error, provider=provider_id)


@hookimpl(trylast=True)
def liminal_count_tokens(model: ModelInfo, messages: list[Message]) -> int | None:
    from liminal.context import estimate_tokens

    return estimate_tokens(messages)
