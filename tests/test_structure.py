"""The package's shape: no import cycles, no private names borrowed across modules, every public name exported.

These rules keep one home per concern (see the developers' guide); a change that breaks them fails here,
with the modules named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yolo_training as yt

PACKAGE = Path(yt.__file__).parent
MODULES = {p.stem: p for p in sorted(PACKAGE.glob("*.py")) if p.stem not in ("__init__", "__main__")}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every ``from .module import names`` in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.append((node.module.split(".")[0], [a.name for a in node.names]))
        elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            found += [(a.name, []) for a in node.names]  # from . import env
    return found


def _graph() -> dict[str, set[str]]:
    return {name: {m for m, _ in _imports(path) if m in MODULES} for name, path in MODULES.items()}


def test_no_import_cycles():
    graph = _graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_names_imported_across_modules():
    borrowed = [
        f"{name}.py imports {m}.{n}"
        for name, path in MODULES.items()
        for m, names in _imports(path)
        for n in names
        if n.startswith("_") and not m.startswith("_")
    ]
    assert borrowed == [], "private names used outside their module: " + "; ".join(borrowed)


def test_every_public_name_is_exported_from_the_package():
    assert sorted(set(yt.__all__)) == sorted(yt.__all__), "a name is listed twice in __all__"
    assert [n for n in yt.__all__ if not hasattr(yt, n)] == []
