"""Fixtures the integration tests share (the peers themselves live in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest

from liminal.managed import ManagedService
from support.clirunner import Liminal
from support.faultkit import Retries
from support.live import PROVIDERS, LiveProvider, Traffic

if TYPE_CHECKING:
    from liminal_local.server import LlamaServer
    from support.faults import Faults


@pytest.fixture
def retries() -> Retries:
    """The retry notices of the service under test."""
    return Retries()


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client for a provider's SDK, closed after the test (no socket outlives it)."""
    async with httpx2.AsyncClient() as client:
        yield client


@pytest.fixture(params=PROVIDERS, ids=lambda provider: provider.id)
def live(
    request: pytest.FixtureRequest, llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch
) -> LiveProvider:
    """Each cloud provider in turn, pointed at llama-server with its first key.

    A provider's own test module narrows it to that provider by parametrising ``live``.
    """
    provider: LiveProvider = request.param
    provider.point_at(llama_server, monkeypatch)
    return provider


@pytest.fixture
async def traffic(live: LiveProvider) -> AsyncIterator[Traffic]:
    recorder = Traffic(live.chat_path)
    try:
        yield recorder
    finally:
        await recorder.client.aclose()


@pytest.fixture
def service(live: LiveProvider, traffic: Traffic) -> ManagedService:
    """The core-wrapped service of ``live``, its SDK client recording ``traffic``."""
    return live.managed(traffic)


@pytest.fixture
def at_llama(live: LiveProvider, liminal_home: Path, llama_server: LlamaServer) -> Liminal:
    """The ``liminal`` script, ``live`` pointed at llama-server with its first key."""
    liminal = Liminal(liminal_home)
    liminal.env[live.base_url_env] = live.base_url(llama_server)
    liminal.env[live.key_env] = llama_server.api_key
    return liminal


@pytest.fixture
def at_faults(live: LiveProvider, liminal_home: Path, faults: Faults) -> Liminal:
    """The ``liminal`` script, ``live`` pointed at the fault server with a key it takes."""
    liminal = Liminal(liminal_home)
    liminal.env[live.base_url_env] = live.base_url(faults)
    liminal.env[live.key_env] = live.wrong_key.replace("wrong", "fault-cli")
    return liminal
