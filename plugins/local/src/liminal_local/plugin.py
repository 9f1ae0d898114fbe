"""Hook implementations of ``liminal-local``. Starts nothing: a server starts on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal import ProviderInfo, hookimpl

if TYPE_CHECKING:
    import click

    from liminal.provider import ModelRegistry, ProviderRegistry

PROVIDER = ProviderInfo(
    id="local",
    display_name="Local (llama.cpp)",
    service="liminal_local.service:LocalService",
    requires_key=False,
)


@hookimpl
def liminal_register_providers(registry: ProviderRegistry) -> None:
    registry.add(PROVIDER)


@hookimpl
def liminal_register_models(registry: ModelRegistry) -> None:
    from liminal_local.models import local_models

    registry.extend(model.to_model_info() for model in local_models())


@hookimpl
def liminal_register_commands(cli: click.Group) -> None:
    from liminal_local.cli import local_group

    cli.add_command(local_group)
