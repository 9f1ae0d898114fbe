"""The shape of the code, checked: our plugins use only the public namespaces, and no two
modules of the core import each other, however lazily."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src"
PLUGINS = sorted((ROOT / "plugins").glob("*/src/*"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, package: str) -> list[tuple[str, list[str]]]:
    """(module, names) of every import that runs, at any depth (inside functions too); the
    ``if TYPE_CHECKING:`` blocks never run and are left out."""
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((base, [alias.name for alias in node.names]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _core_modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for path in CORE.rglob("*.py"):
        parts = list(path.relative_to(CORE).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


def _import_graph() -> dict[str, set[str]]:
    modules = _core_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for base, names in _imports(path, package):
            targets = {f"{base}.{n}" for n in names if f"{base}.{n}" in modules}
            if not targets and base in modules:
                targets = {base}  # ``from liminal.x import name``: the module x
            elif base in modules and len(targets) < len(names):
                targets.add(base)  # some names are not submodules: the package too
            graph[name] |= targets - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_cycle_among_the_cores_modules() -> None:
    graph = _import_graph()
    assert len(graph) > 40  # the graph was really read
    assert graph["liminal.managed"]
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle_hidden_in_a_function() -> None:
    graph = _import_graph()
    graph["liminal.errors"].add("liminal.managed")  # as a lazy import inside errors would
    cycles = _cycles(graph)
    assert any({"liminal.errors", "liminal.managed"} <= set(c) for c in cycles)


def test_the_core_never_imports_its_own_facades() -> None:
    """``liminal`` and ``liminal.provider`` re-export the whole core: a core module importing a
    name from them would depend on everything."""
    facades = {"liminal", "liminal.provider"}
    offenders = []
    for name, (path, is_package) in _core_modules().items():
        if name in facades:
            continue
        package = name if is_package else name.rpartition(".")[0]
        for base, names in _imports(path, package):
            submodules = {n for n in names if f"{base}.{n}" in _core_modules()}
            if base in facades and set(names) - submodules:
                offenders.append(f"{name}: from {base} import {', '.join(names)}")
    assert offenders == []


@pytest.mark.parametrize("package", PLUGINS, ids=lambda p: p.name)
def test_our_plugins_import_only_the_public_api(package: Path) -> None:
    allowed = {"liminal", "liminal.provider"}
    used = set()
    for path in package.rglob("*.py"):
        for base, _ in _imports(path, package.name):
            if base == "liminal" or base.startswith("liminal."):
                used.add(base)
    assert used, "the plugin imports nothing of liminal's: the check read nothing"
    assert used <= allowed, used - allowed
