"""The plugin manager: built-ins first, entry points filtered by env vars, failures isolated."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

import pluggy
import pytest

from liminal import hookimpl
from liminal.errors import ErrorCode, LiminalError
from liminal.plugins import (
    DEFAULT_PLUGINS,
    Plugins,
    get_plugin_manager,
    get_plugins,
    reset_plugins,
)
from liminal.provider.registry import ModelRegistry, ProviderRegistry
from liminal.types import Message, ModelInfo, Role
from support.catalog import ZeroDivisionMapper, fake_model, fake_provider


class ProviderPlugin:
    """Registers provider ``pid`` with the given model ids."""

    def __init__(self, pid: str, *model_ids: str) -> None:
        self.pid = pid
        self.model_ids = model_ids
        self.calls: list[str] = []

    @hookimpl
    def liminal_register_providers(self, registry: ProviderRegistry) -> None:
        self.calls.append("providers")
        registry.add(fake_provider(self.pid, requires_key=False))

    @hookimpl
    def liminal_register_models(self, registry: ModelRegistry) -> None:
        self.calls.append("models")
        for mid in self.model_ids:
            registry.add(fake_model(mid, self.pid))


class ExplodingModels:
    @hookimpl
    def liminal_register_models(self, registry: ModelRegistry) -> None:
        raise RuntimeError("catalog is corrupt")


class ExplodingProviders:
    def __init__(self) -> None:
        self.models_called = False

    @hookimpl
    def liminal_register_providers(self, registry: ProviderRegistry) -> None:
        raise KeyError("boom")

    @hookimpl
    def liminal_register_models(self, registry: ModelRegistry) -> None:
        self.models_called = True


@pytest.fixture
def warnings_seen() -> list[str]:
    return []


@pytest.fixture
def plugins(warnings_seen: list[str]) -> Plugins:
    return Plugins(load_entry_points=False, warn=warnings_seen.append)


# -- built-ins --------------------------------------------------------------------------------


def test_default_plugins_are_registered(plugins: Plugins) -> None:
    assert DEFAULT_PLUGINS == ("liminal.builtin",)
    for name in DEFAULT_PLUGINS:
        assert plugins.pm.has_plugin(name)
    builtin = plugins.records()[0]
    assert builtin.name == "liminal.builtin"
    assert builtin.builtin is True
    assert builtin.distribution == "liminal"
    from liminal import __version__

    assert builtin.version == __version__
    assert set(builtin.hooks) >= {"liminal_map_error", "liminal_count_tokens"}


def test_no_entry_points_means_no_models(plugins: Plugins) -> None:
    assert len(plugins.providers) == 0
    assert len(plugins.models) == 0


def test_builtin_map_error_is_the_fallback(plugins: Plugins) -> None:
    class StatusError(Exception):
        status_code = 503

    mapped = plugins.pm.hook.liminal_map_error(provider_id="p", error=StatusError("x"))
    assert isinstance(mapped, LiminalError)
    assert mapped.code is ErrorCode.OVERLOADED


def test_plugin_mapping_wins_over_fallback(plugins: Plugins) -> None:
    plugins.pm.register(ZeroDivisionMapper(), name="mapper")
    hook = plugins.pm.hook.liminal_map_error
    assert hook(provider_id="p", error=ZeroDivisionError()).code is ErrorCode.CONTENT_FILTERED
    # the plugin declines: the trylast fallback still answers
    assert hook(provider_id="p", error=ValueError("x")).code is ErrorCode.UNKNOWN


def test_count_tokens_plugin_wins_over_estimate(plugins: Plugins) -> None:
    messages = [Message(Role.USER, "x" * 300)]
    model = fake_model("m", "p")
    estimate = plugins.pm.hook.liminal_count_tokens(model=model, messages=messages)
    assert isinstance(estimate, int)
    assert estimate >= 100

    class Exact:
        @hookimpl
        def liminal_count_tokens(self, model: ModelInfo, messages: list[Message]) -> int:
            return 7

    plugins.pm.register(Exact(), name="exact")
    assert plugins.pm.hook.liminal_count_tokens(model=model, messages=messages) == 7


# -- registration and failures ------------------------------------------------------------------


def test_registration_hooks_fill_the_registries(plugins: Plugins) -> None:
    plugins.pm.register(ProviderPlugin("alpha", "a1", "a2"), name="alpha")
    plugins.pm.register(ProviderPlugin("beta", "b1"), name="beta")
    assert {p.id for p in plugins.providers} == {"alpha", "beta"}
    assert {m.id for m in plugins.models} == {"a1", "a2", "b1"}


def test_plugin_may_add_models_to_a_provider_it_does_not_own(plugins: Plugins) -> None:
    class FineTunes:
        @hookimpl
        def liminal_register_models(self, registry: ModelRegistry) -> None:
            registry.add(fake_model("alpha-finetune", "alpha"))

    plugins.pm.register(FineTunes(), name="finetunes")
    plugins.pm.register(ProviderPlugin("alpha", "a1"), name="alpha")
    assert plugins.models.resolve("alpha-finetune").provider == "alpha"


def test_raising_register_models_is_reported_once_and_skipped(
    plugins: Plugins, warnings_seen: list[str]
) -> None:
    good = ProviderPlugin("alpha", "a1")
    plugins.pm.register(good, name="good")
    plugins.pm.register(ExplodingModels(), name="exploding")
    plugins.pm.register(ProviderPlugin("beta", "b1"), name="also-good")

    assert {m.id for m in plugins.models} == {"a1", "b1"}
    assert len(warnings_seen) == 1
    assert "exploding" in warnings_seen[0]
    assert "catalog is corrupt" in warnings_seen[0]
    assert not plugins.pm.has_plugin("exploding")
    assert [f.name for f in plugins.failures] == ["exploding"]
    # registries are built once: asking again reports nothing new
    assert len(plugins.models) == 2
    assert len(plugins.providers) == 2
    assert len(warnings_seen) == 1
    assert good.calls == ["providers", "models"]


def test_failing_provider_hook_skips_the_plugin_entirely(
    plugins: Plugins, warnings_seen: list[str]
) -> None:
    broken = ExplodingProviders()
    plugins.pm.register(broken, name="broken")
    plugins.pm.register(ProviderPlugin("alpha", "a1"), name="alpha")
    assert [m.id for m in plugins.models] == ["a1"]
    assert broken.models_called is False
    assert len(warnings_seen) == 1
    assert "broken" in warnings_seen[0]


def test_duplicate_model_from_second_plugin_is_reported_and_skipped(
    plugins: Plugins, warnings_seen: list[str]
) -> None:
    plugins.pm.register(ProviderPlugin("alpha", "shared"), name="first")
    plugins.pm.register(ProviderPlugin("beta", "shared"), name="second")
    models = plugins.models
    assert len(models) == 1
    assert len(warnings_seen) == 1
    # whichever plugin ran second is the one named
    loser = "first" if models.resolve("shared").provider == "beta" else "second"
    assert loser in warnings_seen[0]
    assert "registered twice" in warnings_seen[0]


def test_failure_message_is_redacted(plugins: Plugins, warnings_seen: list[str]) -> None:
    key = "sk-proj-Plugin0123456789abcdef"

    class Leaky:
        @hookimpl
        def liminal_register_providers(self, registry: ProviderRegistry) -> None:
            raise RuntimeError(f"rejected key {key}")

    plugins.pm.register(Leaky(), name="leaky")
    _ = plugins.providers
    assert len(warnings_seen) == 1
    assert key not in warnings_seen[0]
    assert key not in plugins.failures[0].error


def test_hookimpl_may_take_fewer_arguments_than_the_spec(plugins: Plugins) -> None:
    called: list[bool] = []

    class NoArgs:
        @hookimpl
        def liminal_register_models(self) -> None:
            called.append(True)

    plugins.pm.register(NoArgs(), name="noargs")
    _ = plugins.models
    assert called == [True]


def test_check_pending_catches_a_misspelled_hook(plugins: Plugins) -> None:
    class Misspelled:
        @hookimpl
        def liminal_register_model(self, registry: ModelRegistry) -> None:  # no trailing s
            raise AssertionError("never called")

    plugins.pm.register(Misspelled(), name="misspelled")
    with pytest.raises(pluggy.PluginValidationError, match="liminal_register_model"):
        plugins.pm.check_pending()


def test_hookimpl_with_unknown_argument_is_rejected(plugins: Plugins) -> None:
    class WrongArgs:
        @hookimpl
        def liminal_register_models(self, registry: ModelRegistry, extra: int) -> None:
            raise AssertionError("never called")

    with pytest.raises(pluggy.PluginValidationError):
        plugins.pm.register(WrongArgs(), name="wrong")


# -- entry points and the LIMINAL_PLUGINS / LIMINAL_DISABLE_PLUGINS switches ------------------


class FakeDist:
    def __init__(self, name: str, version: str = "1.0") -> None:
        self.name = name
        self.version = version


class FakeEntryPoint:
    def __init__(self, name: str, dist: str | None, load: Callable[[], Any]) -> None:
        self.name = name
        self.value = f"{name.replace('-', '_')}_pkg.plugin"
        self.group = "liminal"
        self.dist = FakeDist(dist) if dist is not None else None
        self._load = load

    def load(self) -> Any:
        return self._load()


def _fail_import() -> Any:
    raise ImportError("No module named 'missing_dependency'")


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> list[FakeEntryPoint]:
    """The entry points ``Plugins`` will find; tests append to it."""
    found: list[FakeEntryPoint] = []

    def fake_entry_points(**params: Any) -> list[FakeEntryPoint]:
        assert params == {"group": "liminal"}
        return list(found)

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    return found


@pytest.fixture
def two_plugins(entry_points: list[FakeEntryPoint]) -> list[FakeEntryPoint]:
    alpha = ProviderPlugin("alpha", "a1")
    beta = ProviderPlugin("beta", "b1")
    entry_points.append(FakeEntryPoint("alpha", "liminal-alpha", lambda: alpha))
    entry_points.append(FakeEntryPoint("beta", "liminal_Beta", lambda: beta))
    return entry_points


def _loaded(warn: list[str] | None = None) -> set[str]:
    plugins = Plugins(warn=(warn if warn is not None else []).append)
    return {p.id for p in plugins.providers}


def test_entry_points_are_loaded(two_plugins: list[FakeEntryPoint]) -> None:
    assert _loaded() == {"alpha", "beta"}


@pytest.mark.parametrize(
    ("variable", "names", "expected"),
    [
        *(
            pytest.param("LIMINAL_PLUGINS", allow, expected, id=f"allow:{allow!r}")
            for allow, expected in [
                ("liminal-alpha", {"alpha"}),
                ("Liminal_Alpha", {"alpha"}),
                ("liminal.alpha", {"alpha"}),
                ("liminal-beta", {"beta"}),
                (" liminal-alpha , liminal-beta ", {"alpha", "beta"}),
                ("liminal-alpha,,", {"alpha"}),
                ("beta", {"beta"}),  # the entry-point name works too
                ("liminal-gamma", set()),
                ("", {"alpha", "beta"}),  # empty: no allowlist
                ("   ", {"alpha", "beta"}),
            ]
        ),
        *(
            pytest.param("LIMINAL_DISABLE_PLUGINS", block, expected, id=f"block:{block!r}")
            for block, expected in [
                ("liminal-beta", {"alpha"}),
                ("LIMINAL-BETA", {"alpha"}),
                ("liminal_alpha, liminal-beta", set()),
                ("alpha", {"beta"}),
                ("liminal-gamma", {"alpha", "beta"}),
                ("", {"alpha", "beta"}),
            ]
        ),
    ],
)
def test_liminal_plugins_allowlist_and_disable_plugins_blocklist(
    two_plugins: list[FakeEntryPoint],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    names: str,
    expected: set[str],
) -> None:
    monkeypatch.setenv(variable, names)
    assert _loaded() == expected


def test_blocklist_wins_over_allowlist(
    two_plugins: list[FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIMINAL_PLUGINS", "liminal-alpha,liminal-beta")
    monkeypatch.setenv("LIMINAL_DISABLE_PLUGINS", "liminal-beta")
    assert _loaded() == {"alpha"}


def test_switches_never_disable_builtins(
    two_plugins: list[FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIMINAL_PLUGINS", "liminal-alpha")
    monkeypatch.setenv("LIMINAL_DISABLE_PLUGINS", "liminal,liminal.builtin")
    plugins = Plugins(warn=[].append)
    assert plugins.pm.has_plugin("liminal.builtin")


def test_entry_point_that_fails_to_import_is_reported_once_and_skipped(
    two_plugins: list[FakeEntryPoint],
) -> None:
    two_plugins.insert(1, FakeEntryPoint("broken", "liminal-broken", _fail_import))
    warned: list[str] = []
    plugins = Plugins(warn=warned.append)
    assert {p.id for p in plugins.providers} == {"alpha", "beta"}
    assert len(warned) == 1
    assert "broken" in warned[0]
    assert "liminal-broken" in warned[0]
    assert "missing_dependency" in warned[0]
    assert [(f.name, f.distribution) for f in plugins.failures] == [("broken", "liminal-broken")]
    assert not plugins.pm.has_plugin("broken")


def test_disabled_broken_plugin_is_not_even_imported(
    entry_points: list[FakeEntryPoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_points.append(FakeEntryPoint("broken", "liminal-broken", _fail_import))
    monkeypatch.setenv("LIMINAL_DISABLE_PLUGINS", "liminal-broken")
    warned: list[str] = []
    Plugins(warn=warned.append)
    assert warned == []


def test_same_distribution_seen_twice_is_loaded_once(
    entry_points: list[FakeEntryPoint],
) -> None:
    loads: list[int] = []
    alpha = ProviderPlugin("alpha", "a1")

    def load() -> ProviderPlugin:
        loads.append(1)
        return alpha

    entry_points.append(FakeEntryPoint("alpha", "liminal-alpha", load))
    entry_points.append(FakeEntryPoint("alpha", "liminal-alpha", load))
    warned: list[str] = []
    plugins = Plugins(warn=warned.append)
    assert [p.id for p in plugins.providers] == ["alpha"]
    assert loads == [1]
    assert warned == []


def test_records_name_distribution_version_and_hooks(
    two_plugins: list[FakeEntryPoint],
) -> None:
    records = Plugins(warn=[].append).records()
    assert records[0].builtin
    by_name = {r.name: r for r in records}
    assert by_name["alpha"].distribution == "liminal-alpha"
    assert by_name["alpha"].version == "1.0"
    assert by_name["alpha"].builtin is False
    assert by_name["alpha"].hooks == ("liminal_register_models", "liminal_register_providers")


def test_misspelled_hook_in_an_installed_plugin_is_reported_not_fatal(
    two_plugins: list[FakeEntryPoint],
) -> None:
    class Misspelled:
        @hookimpl
        def liminal_register_model(self, registry: ModelRegistry) -> None:
            raise AssertionError("never called")

    two_plugins.append(FakeEntryPoint("typo", "liminal-typo", Misspelled))
    warned: list[str] = []
    assert _loaded(warned) == {"alpha", "beta"}
    [warning] = warned
    assert "typo" in warning
    assert "liminal_register_model" in warning


# -- the process-wide instance -------------------------------------------------------------------


def test_get_plugins_is_loaded_once_and_can_be_replaced(
    entry_points: list[FakeEntryPoint],
) -> None:
    first = get_plugins()
    assert get_plugins() is first
    assert get_plugin_manager() is first.pm
    replacement = Plugins(load_entry_points=False)
    reset_plugins(replacement)
    assert get_plugins() is replacement
    reset_plugins()
    assert get_plugins() is not replacement
