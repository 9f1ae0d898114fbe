"""Hook implementations of ``liminal-anthropic``. Imports no SDK: listing models stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liminal import LiminalError, ProviderInfo, hookimpl

if TYPE_CHECKING:
    from liminal import Message, ModelInfo
    from liminal.registry import ModelRegistry, ProviderRegistry

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
def liminal_count_tokens(model: ModelInfo, messages: list[Message]) -> int | None:
    """Exact counts from the count-tokens endpoint, only when config.json asks for them."""
    if model.provider != PROVIDER.id or model.base_url:
        return None
    from liminal.config import load_config

    if not load_config().exact_token_counts:
        return None
    from liminal_anthropic.tokens import count_tokens

    return count_tokens(model, messages)


@hookimpl
def liminal_map_error(provider_id: str, error: BaseException) -> LiminalError | None:
    if not type(error).__module__.startswith("anthropic"):
        return None
    from liminal_anthropic.errors import map_anthropic_error

    return map_anthropic_error(provider_id, error)
