"""The hooks plugins implement. Marker name = entry-point group = ``liminal``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from liminal.errors import LiminalError
    from liminal.provider.registry import ModelRegistry, ProviderRegistry
    from liminal.types import Message, ModelInfo

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "liminal"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def liminal_register_providers(registry: ProviderRegistry) -> None:
    """Add the providers this plugin contributes.

    Call ``registry.add(ProviderInfo(...))`` once per provider. The service
    class named in ``ProviderInfo.service`` is imported only when a request is
    made, so keep SDK imports out of the module that implements this hook.

    :param registry: the provider registry; ``add`` raises on a duplicate id.

    .. versionadded:: 0.1
    """


@hookspec
def liminal_register_models(registry: ModelRegistry) -> None:
    """Add the models this plugin contributes.

    A plugin may add models to a provider it does not own (a fine-tune, a
    compatible endpoint). Providers are registered before models.

    :param registry: the model registry; ``add`` raises on a duplicate id or alias.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def liminal_map_error(provider_id: str, error: BaseException) -> LiminalError | None:
    """Map an exception raised by a provider's SDK to a :class:`~liminal.errors.LiminalError`.

    Return ``None`` for exceptions this plugin does not recognise. The core
    ships a ``trylast`` fallback that maps by duck-typed status code and body.
    Stops at first non-None result.

    :param provider_id: the id of the provider whose call failed.
    :param error: the exception the SDK raised.
    :return: the mapped error, or ``None``.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def liminal_count_tokens(model: ModelInfo, messages: list[Message]) -> int | None:
    """Count the input tokens of ``messages`` exactly for ``model``.

    Return ``None`` when this plugin cannot count exactly; the core then uses a
    conservative estimate. Stops at first non-None result. Called each time a history is
    fitted, so it must not need the network: a count from the provider's API belongs in the
    service's optional ``count_tokens(request)``, which gets the key and base URL.

    :param model: the model the messages are sent to.
    :param messages: the conversation, system prompt included as a system message.
    :return: the token count, or ``None``.

    .. versionadded:: 0.1
    """


@hookspec
def liminal_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``liminal`` CLI.

    :param cli: the top-level ``liminal`` click group; call ``cli.add_command``.

    .. versionadded:: 0.1
    """
