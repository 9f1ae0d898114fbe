"""LlmServiceFactory: resolve a model, import its provider's service lazily, build it once."""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from liminal.errors import ErrorCode, LiminalError
from liminal.factory import LlmServiceFactory, load_service_class
from liminal.keys.pool import ApiKeyManager
from liminal.managed import ManagedService
from liminal.plugins import Plugins
from liminal.provider.service import ServiceContext
from liminal.types import (
    ChatRequest,
    Finish,
    FinishReason,
    Message,
    Role,
    StreamEvent,
    TextDelta,
)
from support.catalog import (
    CatalogPlugin,
    ZeroDivisionMapper,
    catalog_plugins,
    fake_model,
    fake_provider,
)

MODULE = "liminal_factory_test_service"


class EchoService:
    built: ClassVar[list[ServiceContext]] = []

    def __init__(self, context: ServiceContext) -> None:
        EchoService.built.append(context)
        self.context = context

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        if request.messages[-1].content == "fail":
            raise ZeroDivisionError("provider SDK blew up")
        yield TextDelta(request.messages[-1].content)
        yield Finish(FinishReason.STOP)


PROVIDER = fake_provider(
    "echo",
    service=f"{MODULE}:EchoService",
    key_env_var="FAKE_API_KEY",
    default_base_url="https://echo.invalid/v1",
    base_url_env_var="ECHO_BASE_URL",
    requires_key=False,
)
MODELS = [fake_model("echo-1", "echo", aliases=("e1",)), fake_model("echo-2", "echo")]


@pytest.fixture(autouse=True)
def service_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(MODULE)
    module.EchoService = EchoService  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    EchoService.built = []
    return module


@pytest.fixture
def plugins() -> Plugins:
    return catalog_plugins(PROVIDER, MODELS)


def test_for_model_resolves_aliases_and_builds_once(plugins: Plugins) -> None:
    factory = LlmServiceFactory(plugins=plugins)
    first = factory.for_model("e1")
    assert isinstance(first, ManagedService)
    assert factory.for_model("echo-2") is first
    assert factory.for_provider("echo") is first
    assert len(EchoService.built) == 1
    context = EchoService.built[0]
    assert context.provider == PROVIDER
    assert context.base_url == "https://echo.invalid/v1"
    assert context.model_info("e1").id == "echo-1"


def test_base_url_env_override(plugins: Plugins, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHO_BASE_URL", " http://127.0.0.1:9/v1 ")
    LlmServiceFactory(plugins=plugins).for_model("echo-1")
    assert EchoService.built[0].base_url == "http://127.0.0.1:9/v1"


def test_default_key_comes_from_the_key_manager(
    plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_API_KEY", "tk-test-factory-default")
    LlmServiceFactory(plugins=plugins, keys=ApiKeyManager()).for_model("echo-1")
    key = EchoService.built[0].default_key()
    assert key is not None
    assert key.reveal() == "tk-test-factory-default"


def test_unknown_model(plugins: Plugins) -> None:
    with pytest.raises(LiminalError) as caught:
        LlmServiceFactory(plugins=plugins).for_model("echo-3")
    assert caught.value.code is ErrorCode.MODEL_NOT_FOUND
    assert EchoService.built == []


async def test_stream_through_the_factory(plugins: Plugins) -> None:
    service = LlmServiceFactory(plugins=plugins).for_model("e1")
    request = ChatRequest(model="e1", messages=(Message(Role.USER, "hi"),))
    events = [event async for event in service.stream(request)]
    assert events == [TextDelta("hi"), Finish(FinishReason.STOP)]


async def test_errors_are_mapped_by_plugins_with_the_cause_kept(plugins: Plugins) -> None:
    plugins.pm.register(ZeroDivisionMapper(), name="mapper")
    service = LlmServiceFactory(plugins=plugins).for_model("e1")
    request = ChatRequest(model="e1", messages=(Message(Role.USER, "fail"),))
    with pytest.raises(LiminalError) as caught:
        async for _ in service.stream(request):
            pass
    assert caught.value.code is ErrorCode.CONTENT_FILTERED
    assert isinstance(caught.value.__cause__, ZeroDivisionError)
    assert caught.value.provider == "echo"
    assert caught.value.model == "echo-1"


def test_map_error_falls_back_to_the_builtin(plugins: Plugins) -> None:
    error = ConnectionRefusedError(111, "Connection refused")
    mapped = LlmServiceFactory(plugins=plugins).map_error("echo", error)
    assert mapped.code is ErrorCode.NETWORK
    assert mapped.__cause__ is error


def test_load_service_class() -> None:
    assert load_service_class(f"{MODULE}:EchoService") is EchoService


def test_missing_service_module_names_it() -> None:
    with pytest.raises(LiminalError) as caught:
        load_service_class("liminal_no_such_plugin.service:Service")
    error = caught.value
    assert error.code is ErrorCode.UNKNOWN
    assert "liminal_no_such_plugin" in error.message
    assert "pip install" in (error.hint or "")
    assert isinstance(error.__cause__, ImportError)


def test_missing_sdk_inside_the_service_module_names_the_sdk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    (tmp_path / "liminal_needs_sdk.py").write_text("import liminal_absent_sdk_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LiminalError) as caught:
        load_service_class("liminal_needs_sdk:Service")
    assert "liminal_absent_sdk_xyz" in caught.value.message
    assert "liminal_absent_sdk_xyz" in (caught.value.hint or "")


def test_missing_service_class() -> None:
    with pytest.raises(LiminalError) as caught:
        load_service_class(f"{MODULE}:NoSuchService")
    assert caught.value.code is ErrorCode.UNKNOWN
    assert "does not exist" in caught.value.message


def test_broken_service_path_reaches_the_caller_not_the_listing(plugins: Plugins) -> None:
    broken = fake_provider("broken", service="nowhere_xyz:S", requires_key=False)
    plugins.pm.register(CatalogPlugin(broken, ()), name="broken")
    assert "broken" in plugins.providers  # listing never imports the service
    with pytest.raises(LiminalError) as caught:
        LlmServiceFactory(plugins=plugins).for_provider("broken")
    assert "nowhere_xyz" in caught.value.message


def test_progress_reaches_the_factory_listener(plugins: Plugins) -> None:
    from liminal.provider.service import Progress

    heard: list[Progress] = []
    factory = LlmServiceFactory(plugins=plugins, on_progress=heard.append)
    factory.for_model("echo-1")
    report = Progress(provider="echo", model="echo-1", activity="warming up", elapsed=1.5)
    EchoService.built[0].on_progress(report)
    assert heard == [report]


def test_progress_without_a_listener_goes_nowhere(plugins: Plugins) -> None:
    from liminal.provider.service import Progress

    LlmServiceFactory(plugins=plugins).for_model("echo-1")
    EchoService.built[0].on_progress(Progress("echo", "echo-1", "warming up", 0.1, done=True))
