"""liminal-local passes the provider conformance suite with its own bundled model."""

from __future__ import annotations

import pytest

from liminal.testing import ConformanceTarget, ProviderConformance

# Needs the local engine: if it cannot start here, fail at once with its own error.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("llama_server")]


class TestLocalConformance(ProviderConformance):
    @pytest.fixture
    def target(self) -> ConformanceTarget:
        return ConformanceTarget(
            model="smollm2",
            good_key="unused-local-key",
            bad_key=None,
            plugin_module="liminal_local.plugin",
            sdk_modules=("openai", "httpx2", "httpx"),
            parameters={"temperature": 0, "seed": 7},
        )
