"""User-declared models on OpenAI-compatible servers (llama.cpp, vLLM, …).

They live in ``openai-compatible.json`` in Liminal's config dir, written by
``liminal openai add-model``. Each has its own base URL and, optionally, the
env var that holds its key: the OpenAI key is never sent to such a server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import attrs

from liminal import Capabilities, ModelInfo
from liminal.paths import config_dir

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


def load_compatible(path: Path | None = None) -> CompatibleFile:
    """The declared models; raises ValueError naming the file when it does not parse."""
    from liminal.serialize import structure

    path = path or compatible_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return CompatibleFile()
    try:
        return structure(json.loads(text), CompatibleFile)
    except Exception as exc:
        raise ValueError(f"{path} is not a valid compatible-models file") from exc


def save_compatible(data: CompatibleFile, path: Path | None = None) -> None:
    from liminal.files import write_atomically
    from liminal.serialize import to_json

    write_atomically(path or compatible_path(), to_json(data) + "\n")


def load_compatible_models() -> list[ModelInfo]:
    """ModelInfos for the registry; a broken file is reported, not fatal."""
    try:
        return [m.to_model_info() for m in load_compatible().models]
    except ValueError as exc:
        print(f"Warning: {exc}; its models are skipped (fix or remove the file)", file=sys.stderr)
        return []
