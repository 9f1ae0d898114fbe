"""Test support for provider plugins: the conformance suite every provider runs.

    from liminal.testing import ConformanceTarget, ProviderConformance

    class TestMyProvider(ProviderConformance):
        @pytest.fixture
        def target(self, my_server) -> ConformanceTarget:
            ...

Needs pytest (not a dependency of liminal itself).
"""

from __future__ import annotations

from liminal.testing.conformance import ConformanceTarget, ProviderConformance

__all__ = ["ConformanceTarget", "ProviderConformance"]
