"""Every provider plugin passes the conformance suite (``liminal.testing``) against a real engine.

OpenAI and Anthropic talk to llama.cpp's server (``llama_server``); liminal-local starts its
own engine with the bundled model (``llama_server`` is still needed: if the engine cannot
start here, every test fails at once with its error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from liminal.testing import ConformanceTarget, ProviderConformance

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer

pytestmark = pytest.mark.integration

#: The SDK modules an OpenAI-protocol plugin must not import to list its models.
OPENAI_SDK = ("openai", "httpx2", "httpx")
#: Deterministic answers from a model that takes a seed.
SEEDED = {"temperature": 0, "seed": 7}
TARGETS = {
    "openai": ConformanceTarget(
        model="gpt-4o-mini",
        good_key="K1",
        bad_key="sk-conformance-rejected-key",
        plugin_module="liminal_openai.plugin",
        sdk_modules=OPENAI_SDK,
        parameters=SEEDED,
    ),
    "anthropic": ConformanceTarget(
        model="claude-haiku-4-5",
        good_key="K2",
        bad_key="sk-ant-conformance-rejected",
        plugin_module="liminal_anthropic.plugin",
        sdk_modules=("anthropic", "httpx2", "httpx"),
        parameters={"temperature": 0},
    ),
    "local": ConformanceTarget(
        model="smollm2",
        good_key="unused-local-key",
        bad_key=None,
        plugin_module="liminal_local.plugin",
        sdk_modules=OPENAI_SDK,
        parameters=SEEDED,
    ),
}
#: Where each cloud provider is told to find the engine (Anthropic's SDK adds /v1 itself).
BASE_URLS = {
    "openai": ("OPENAI_BASE_URL", lambda server: server.base_url),
    "anthropic": ("ANTHROPIC_BASE_URL", lambda server: server.root_url),
}


class TestConformance(ProviderConformance):
    @pytest.fixture(params=sorted(TARGETS))
    def target(
        self,
        request: pytest.FixtureRequest,
        llama_server: LlamaServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> ConformanceTarget:
        if request.param in BASE_URLS:
            variable, url = BASE_URLS[request.param]
            monkeypatch.setenv(variable, url(llama_server))
        return TARGETS[request.param]
