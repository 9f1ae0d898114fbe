"""Building a provider's model catalog: one family, many models."""

from __future__ import annotations

import attrs

from liminal.types import COMMON_PARAMETERS, Capabilities, ModelInfo

__all__ = ["ModelFamily"]


@attrs.frozen
class ModelFamily:
    """What the models of one family share; calling it makes one model.

    chat = ModelFamily("openai", Capabilities(tools=True, vision=True), CHAT_PARAMETERS)
    chat("gpt-4o", "GPT-4o", 128_000, 16_384, aliases=("4o",))
    chat("gpt-4", "GPT-4", 8_192, 8_192, vision=False)   # one capability differs
    """

    provider: str
    capabilities: Capabilities = attrs.field(factory=Capabilities)
    parameters: tuple[str, ...] = COMMON_PARAMETERS

    def __call__(
        self,
        model_id: str,
        display_name: str,
        context_window: int,
        max_output_tokens: int,
        *,
        aliases: tuple[str, ...] = (),
        deprecated: bool = False,
        parameters: tuple[str, ...] | None = None,
        **capabilities: bool,
    ) -> ModelInfo:
        return ModelInfo(
            id=model_id,
            provider=self.provider,
            display_name=display_name,
            context_window=context_window,
            max_output_tokens=max_output_tokens,
            capabilities=attrs.evolve(self.capabilities, **capabilities),
            aliases=aliases,
            deprecated=deprecated,
            parameters=self.parameters if parameters is None else parameters,
        )
