"""Each provider's error mapping as the error tests drive it: its SDK, mapper and plugin hook."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import anthropic
import attrs
import httpx2
import openai

from liminal import LiminalError
from liminal_anthropic.errors import map_anthropic_error
from liminal_anthropic.plugin import liminal_map_error as anthropic_hook
from liminal_openai.errors import map_openai_error
from liminal_openai.plugin import liminal_map_error as openai_hook


@attrs.frozen
class Mapping:
    id: str
    sdk: ModuleType
    map_error: Callable[[str, BaseException], LiminalError | None]
    hook: Callable[[str, BaseException], LiminalError | None]
    #: Where the SDK's requests for an answer go.
    url: str

    @property
    def host(self) -> str:
        return httpx2.URL(self.url).host

    def request(self) -> httpx2.Request:
        return httpx2.Request("POST", self.url)

    def response(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        """An answer to ``request()``: ``body`` as JSON, or none."""
        if body is None:
            return httpx2.Response(status, headers=headers, request=self.request())
        return httpx2.Response(status, json=body, headers=headers, request=self.request())

    def mapped(self, error: BaseException) -> LiminalError:
        """``error`` mapped by the provider's mapper, which must claim it and keep it as the
        cause."""
        result = self.map_error(self.id, error)
        assert result is not None
        assert result.__cause__ is error
        assert result.provider == self.id
        return result


OPENAI = Mapping(
    "openai",
    openai,
    map_openai_error,
    openai_hook,
    "https://api.openai.test/v1/chat/completions",
)
ANTHROPIC = Mapping(
    "anthropic",
    anthropic,
    map_anthropic_error,
    anthropic_hook,
    "https://api.anthropic.test/v1/messages",
)
MAPPINGS = [OPENAI, ANTHROPIC]
