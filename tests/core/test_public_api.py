"""The public surface: ``liminal.__all__`` and ``liminal.provider.__all__`` are pinned;
changing them is a deliberate act."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil

import pytest

import liminal
import liminal.provider

PUBLIC = [
    "COMMON_PARAMETERS",
    "Answer",
    "AsyncModel",
    "AsyncResponse",
    "Capabilities",
    "ChatRequest",
    "ChatResult",
    "Conversation",
    "ErrorCode",
    "Finish",
    "FinishReason",
    "KeyStatus",
    "LiminalError",
    "Message",
    "Model",
    "ModelInfo",
    "ProviderInfo",
    "Response",
    "Role",
    "Secret",
    "StreamEvent",
    "TextDelta",
    "Usage",
    "__version__",
    "get_async_model",
    "get_model",
    "get_models",
    "hookimpl",
]


#: What plugin authors may import from ``liminal.provider``. Adding a name is a decision (and
#: a line in CHANGELOG.md); removing or renaming one breaks third-party plugins.
PROVIDER_API = [
    "BadSetting",
    "ClientPool",
    "LlmService",
    "ModelFamily",
    "ModelRegistry",
    "Progress",
    "ProviderRegistry",
    "RegistryError",
    "ServiceContext",
    "SseDecoder",
    "Timeouts",
    "UserFile",
    "body_chunks",
    "http_client",
    "json_loads",
    "Http1Transport",
    "check_event_stream",
    "config_dir",
    "current_key",
    "data_dir",
    "drain",
    "ended_early",
    "error_from_body",
    "error_from_exception",
    "error_from_http",
    "error_from_sdk",
    "from_json",
    "guard_malformed",
    "malformed",
    "not_an_api_answer",
    "parse_retry_after",
    "structure",
    "to_json",
    "transport_error",
    "unstructure",
    "write_atomically",
]


def test_all_is_pinned() -> None:
    assert sorted(liminal.__all__) == sorted(PUBLIC)
    assert len(liminal.__all__) == len(set(liminal.__all__))


def test_the_plugin_namespace_is_pinned_and_each_name_resolves() -> None:
    assert sorted(liminal.provider.__all__) == sorted(PROVIDER_API)
    for name in PROVIDER_API:
        assert getattr(liminal.provider, name) is not None
    assert set(dir(liminal.provider)) >= set(PROVIDER_API)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_exists(name: str) -> None:
    assert hasattr(liminal, name)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from liminal import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(PUBLIC)


def test_public_names_are_the_implementations() -> None:
    from liminal.errors import LiminalError
    from liminal.hookspecs import hookimpl
    from liminal.keys.secret import Secret
    from liminal.types import ModelInfo

    assert liminal.LiminalError is LiminalError
    assert liminal.hookimpl is hookimpl
    assert liminal.Secret is Secret
    assert liminal.ModelInfo is ModelInfo


def test_version_matches_distribution() -> None:
    assert liminal.__version__ == importlib.metadata.version("liminal")


MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(liminal.__path__, prefix="liminal.")
    if not m.name.endswith("__main__")  # importing it would run the CLI
)


@pytest.mark.parametrize("module_name", MODULES)
def test_module_all_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"
