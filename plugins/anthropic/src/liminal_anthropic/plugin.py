"""Hook implementations of ``liminal-anthropic``. Imports no SDK: listing models stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal import LiminalError, ProviderInfo, hookimpl

if TYPE_CHECKING:
    from liminal.provider import ModelRegistry, ProviderRegistry

PROVIDER = ProviderInfo(
    id="anthropic",
    display_name="Anthropic",
    service="liminal_anthropic.service:AnthropicService",
    key_env_var="ANTHROPIC_API_KEY",
    default_base_url="https://api.anthropic.com",
    base_url_env_var="ANTHROPIC_BASE_URL",
)


@hookimpl
def liminal_register_providers(registry: ProviderRegistry) -> None:
    registry.add(PROVIDER)


@hookimpl
def liminal_register_models(registry: ModelRegistry) -> None:
    from liminal_anthropic.catalog import MODELS

    registry.extend(MODELS)


@hookimpl
def liminal_map_error(provider_id: str, error: BaseException) -> LiminalError | None:
    if not type(error).__module__.startswith("anthropic"):
        return None
    from liminal_anthropic.errors import map_anthropic_error

    return map_anthropic_error(provider_id, error)
