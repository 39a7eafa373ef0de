"""The layers, checked from the source: the two edges (relay.api, relay.web) do not import each
other, relay.inputs sits below both, and relay's modules import each other without a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("relay", "moderation")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {
        _module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run when the module is imported: not function bodies, not TYPE_CHECKING."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_time_nodes(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _import_time_nodes([c for c in children if isinstance(c, ast.stmt)])
        for handler in getattr(node, "handlers", []):
            yield from _import_time_nodes(handler.body)


def _resolve(name: str, module: str, is_package: bool, level: int) -> str:
    if level == 0:
        return name
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path, known: set[str], *, every: bool = False) -> set[str]:
    """The relay/moderation modules `module` imports (at import time unless `every`)."""
    tree = ast.parse(path.read_text("utf-8"))
    nodes = ast.walk(tree) if every else _import_time_nodes(tree.body)
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node.module or "", module, is_package, node.level)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else source)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, ..., a], or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return None


def _offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    modules = all_modules()
    known = set(modules)
    found = {}
    for name, path in modules.items():
        if name != package and not name.startswith(package + "."):
            continue
        bad = sorted(
            imported
            for imported in imports_of(name, path, known, every=True)
            if any(imported == f or imported.startswith(f + ".") for f in forbidden)
        )
        if bad:
            found[name] = bad
    return found


def _third_party(package: str) -> dict[str, list[str]]:
    found = {}
    for name, path in all_modules().items():
        if name != package and not name.startswith(package + "."):
            continue
        tree = ast.parse(path.read_text("utf-8"))
        roots = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        }
        if roots & {"aiohttp", "aiohttp_jinja2", "jinja2", "multidict"}:
            found[name] = sorted(roots)
    return found


def test_the_pages_never_import_the_json_api() -> None:
    assert _offenders("relay.web", ("relay.api",)) == {}


def test_the_json_api_never_imports_the_pages() -> None:
    assert _offenders("relay.api", ("relay.web",)) == {}


def test_request_inputs_sit_below_both_edges() -> None:
    assert _offenders("relay.inputs", ("relay.api", "relay.web", "relay.app")) == {}
    assert _third_party("relay.inputs") == {}


def test_relay_modules_import_each_other_without_a_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50 and "relay.inputs" in graph  # the walk found the packages
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_check_finds_a_cycle_and_skips_type_checking_imports(tmp_path: Path) -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import relay.x\n"
        "if TYPE_CHECKING:\n    import relay.y\n"
        "def f():\n    import relay.z\n"
        "try:\n    from relay import w\nexcept ImportError:\n    pass\n"
    )
    known = {"relay", "relay.w", "relay.x", "relay.y", "relay.z"}
    assert imports_of("relay.m", source, known) == {"relay.w", "relay.x"}
    assert imports_of("relay.m", source, known, every=True) == set(known) - {"relay"}
