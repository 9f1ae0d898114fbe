"""User-declared models on OpenAI-compatible servers (llama.cpp, vLLM, …).

They live in ``openai-compatible.json`` in Liminal's config dir, written by
``liminal openai add-model``. Each has its own base URL and, optionally, the
env var that holds its key: the OpenAI key is never sent to such a server.
"""

from __future__ import annotations

import logging
from pathlib import Path

import attrs

from liminal import Capabilities, LiminalError, ModelInfo
from liminal.provider import UserFile, config_dir

__all__ = [
    "CompatibleModel",
    "compatible_path",
    "load_compatible",
    "load_compatible_models",
    "save_compatible",
]

FILE_NAME = "openai-compatible.json"


@attrs.frozen
class CompatibleModel:
    id: str
    base_url: str
    context_window: int = 4096
    max_output_tokens: int = 1024
    key_env_var: str | None = None
    display_name: str | None = None
    aliases: tuple[str, ...] = ()

    def to_model_info(self) -> ModelInfo:
        return ModelInfo(
            id=self.id,
            provider="openai",
            display_name=self.display_name or f"{self.id} ({self.base_url})",
            context_window=self.context_window,
            max_output_tokens=self.max_output_tokens,
            capabilities=Capabilities(streaming=True),
            aliases=self.aliases,
            base_url=self.base_url,
            key_env_var=self.key_env_var,
        )


@attrs.frozen
class CompatibleFile:
    version: int = 1
    models: tuple[CompatibleModel, ...] = ()


def compatible_path() -> Path:
    return config_dir() / FILE_NAME


def _file(path: Path | None) -> UserFile[CompatibleFile]:
    return UserFile(path or compatible_path(), CompatibleFile, what="compatible-models file")


def load_compatible(path: Path | None = None) -> CompatibleFile:
    """The declared models; INVALID_REQUEST naming the file when it does not parse."""
    return _file(path).load()


def save_compatible(data: CompatibleFile, path: Path | None = None) -> None:
    _file(path).save(data)


def load_compatible_models() -> list[ModelInfo]:
    """ModelInfos for the registry; a broken file is reported, not fatal."""
    try:
        return [m.to_model_info() for m in load_compatible().models]
    except LiminalError as error:
        # Logged, not printed: a library prints nothing (Python shows a warning on stderr
        # when the program set up no logging, as the CLI does not).
        logging.getLogger("liminal").warning(
            "Warning: %s; its models are skipped (%s)", error.message, error.hint
        )
        return []
