"""liminal-openai passes the provider conformance suite against llama.cpp's server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liminal.testing import ConformanceTarget, ProviderConformance

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration


class TestOpenAIConformance(ProviderConformance):
    @pytest.fixture
    def target(
        self, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
    ) -> ConformanceTarget:
        monkeypatch.setenv("OPENAI_BASE_URL", llama_server.base_url)
        return ConformanceTarget(
            model="gpt-4o-mini",
            good_key="K1",
            bad_key="sk-conformance-rejected-key",
            plugin_module="liminal_openai.plugin",
            sdk_modules=("openai", "httpx2", "httpx"),
            parameters={"temperature": 0, "seed": 7},
        )
