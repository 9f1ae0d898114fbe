"""Local models: the bundled SmolLM2 and GGUF files the user registered."""

from __future__ import annotations

import logging
from pathlib import Path

import attrs

from liminal import Capabilities, LiminalError, ModelInfo
from liminal.provider import UserFile, config_dir

__all__ = ["BUNDLED", "LocalModel", "gguf_path", "load_local", "local_models", "save_local"]

FILE_NAME = "local-models.json"
PROVIDER = "local"
#: Sampling parameters llama.cpp's server accepts on its OpenAI endpoint.
LOCAL_PARAMETERS = ("temperature", "top_p", "top_k", "max_tokens", "stop", "seed")


@attrs.frozen
class LocalModel:
    name: str
    #: The GGUF file; None for the bundled model (found in its package).
    path: str | None = None
    context_window: int = 4096
    max_output_tokens: int = 1024

    def to_model_info(self) -> ModelInfo:
        what = "bundled" if self.path is None else Path(self.path).name
        return ModelInfo(
            id=self.name,
            provider=PROVIDER,
            display_name=f"{self.name} (local, {what})",
            context_window=self.context_window,
            max_output_tokens=min(self.max_output_tokens, self.context_window),
            capabilities=Capabilities(streaming=True, system_prompt=True),
            parameters=LOCAL_PARAMETERS,
        )


#: SmolLM2-135M-Instruct: trained with 8,192 tokens; served with 4,096 to keep memory small.
BUNDLED = LocalModel(name="smollm2", path=None, context_window=4096, max_output_tokens=1024)


@attrs.frozen
class LocalFile:
    version: int = 1
    models: tuple[LocalModel, ...] = ()


def local_path() -> Path:
    return config_dir() / FILE_NAME


def _file(path: Path | None) -> UserFile[LocalFile]:
    return UserFile(path or local_path(), LocalFile, what="local-models file")


def load_local(path: Path | None = None) -> LocalFile:
    """The registered models; INVALID_REQUEST naming the file when it does not parse."""
    return _file(path).load()


def save_local(data: LocalFile, path: Path | None = None) -> None:
    _file(path).save(data)


def local_models() -> list[LocalModel]:
    """The bundled model first, then the registered ones; a broken file is reported."""
    try:
        added = list(load_local().models)
    except LiminalError as error:
        # Logged, not printed: a library prints nothing (Python shows a warning on stderr
        # when the program set up no logging, as the CLI does not).
        logging.getLogger("liminal").warning(
            "Warning: %s; its models are skipped (%s)", error.message, error.hint
        )
        added = []
    return [BUNDLED, *(m for m in added if m.name != BUNDLED.name)]


def find_local(name: str) -> LocalModel | None:
    return next((m for m in local_models() if m.name == name), None)


def gguf_path(model: LocalModel) -> Path:
    from liminal_local.server import find_bundled_model

    return Path(model.path) if model.path else find_bundled_model()
