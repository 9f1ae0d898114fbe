"""Hook implementations of ``liminal-openai``. Imports no SDK: listing models stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal import LiminalError, ProviderInfo, hookimpl

if TYPE_CHECKING:
    import click

    from liminal.provider import ModelRegistry, ProviderRegistry

PROVIDER = ProviderInfo(
    id="openai",
    display_name="OpenAI",
    service="liminal_openai.service:OpenAIService",
    key_env_var="OPENAI_API_KEY",
    default_base_url="https://api.openai.com/v1",
    base_url_env_var="OPENAI_BASE_URL",
)


@hookimpl
def liminal_register_providers(registry: ProviderRegistry) -> None:
    registry.add(PROVIDER)


@hookimpl
def liminal_register_models(registry: ModelRegistry) -> None:
    from liminal_openai.catalog import MODELS
    from liminal_openai.compatible import load_compatible_models

    registry.extend(MODELS)
    registry.extend(load_compatible_models())


@hookimpl
def liminal_map_error(provider_id: str, error: BaseException) -> LiminalError | None:
    if not type(error).__module__.startswith("openai"):
        return None
    from liminal_openai.errors import map_openai_error

    return map_openai_error(provider_id, error)


@hookimpl
def liminal_register_commands(cli: click.Group) -> None:
    from liminal_openai.cli import openai_group

    cli.add_command(openai_group)
