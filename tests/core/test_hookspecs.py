"""Every hookspec is typed, documented in reST, and listed in docs/hooks.md."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liminal import hookspecs
from liminal.plugins import Plugins

DOCS_HOOKS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"

SPECS: dict[str, Callable[..., Any]] = {
    name: fn
    for name, fn in vars(hookspecs).items()
    if callable(fn) and hasattr(fn, f"{hookspecs.PROJECT}_spec")
}


def _opts(fn: Callable[..., Any]) -> dict[str, Any]:
    return getattr(fn, f"{hookspecs.PROJECT}_spec")  # type: ignore[no-any-return]


def test_markers_use_the_project_name() -> None:
    assert hookspecs.PROJECT == "liminal"
    assert hookspecs.hookspec.project_name == "liminal"
    assert hookspecs.hookimpl.project_name == "liminal"


def test_the_documented_hooks_exist() -> None:
    assert set(SPECS) == {
        "liminal_register_providers",
        "liminal_register_models",
        "liminal_map_error",
        "liminal_count_tokens",
        "liminal_register_commands",
    }
    firstresult = {name for name, fn in SPECS.items() if _opts(fn).get("firstresult")}
    assert firstresult == {"liminal_map_error", "liminal_count_tokens"}


def test_plugin_manager_knows_every_spec() -> None:
    pm = Plugins(load_entry_points=False).pm
    for name in SPECS:
        caller = getattr(pm.hook, name)
        assert caller.spec is not None, name


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_names_are_prefixed(name: str) -> None:
    assert name.startswith("liminal_")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_is_fully_typed(name: str) -> None:
    signature = inspect.signature(SPECS[name])
    assert signature.return_annotation is not inspect.Signature.empty, name
    for param in signature.parameters.values():
        assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hookspec_docstring(name: str) -> None:
    fn = SPECS[name]
    doc = inspect.getdoc(fn)
    assert doc, f"{name} has no docstring"
    assert ":param" in doc
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name} does not document {param}"
    assert re.search(r"^\.\. versionadded:: \d+\.\d+", doc, re.MULTILINE), name
    says_first = "Stops at first non-None result" in doc
    assert says_first is bool(_opts(fn).get("firstresult")), name
    if _opts(fn).get("firstresult"):
        assert ":return:" in doc, name


def test_docs_hooks_md_exists() -> None:
    assert DOCS_HOOKS.is_file(), f"{DOCS_HOOKS} is missing (the hooks reference)"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_is_documented_with_its_signature(name: str) -> None:
    # datasette's documented-hooks test: a hook missing from the reference fails the build.
    if not DOCS_HOOKS.is_file():
        pytest.fail(f"{DOCS_HOOKS} is missing")
    text = DOCS_HOOKS.read_text(encoding="utf-8")
    params = list(inspect.signature(SPECS[name]).parameters)
    signatures = re.findall(rf"\b{name}\(([^)]*)\)", text)
    assert signatures, f"{name}(...) does not appear in docs/hooks.md"
    assert any(all(p in found for p in params) for found in signatures), (
        f"docs/hooks.md shows {name} without its parameters {params}"
    )


def test_docs_headings_are_exactly_the_hooks() -> None:
    # one section per hook, and no section for a hook that does not exist (any more)
    if not DOCS_HOOKS.is_file():
        pytest.fail(f"{DOCS_HOOKS} is missing")
    headings = [
        line for line in DOCS_HOOKS.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    documented = {m for line in headings for m in re.findall(r"\bliminal_[a-z_]+\b", line)}
    assert documented == set(SPECS)
