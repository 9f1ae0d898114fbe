"""liminal-anthropic passes the provider conformance suite against llama.cpp's /v1/messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liminal.testing import ConformanceTarget, ProviderConformance

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration


class TestAnthropicConformance(ProviderConformance):
    @pytest.fixture
    def target(
        self, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
    ) -> ConformanceTarget:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", llama_server.root_url)
        return ConformanceTarget(
            model="claude-haiku-4-5",
            good_key="K2",
            bad_key="sk-ant-conformance-rejected",
            plugin_module="liminal_anthropic.plugin",
            sdk_modules=("anthropic", "httpx2", "httpx"),
            parameters={"temperature": 0},
        )
