"""The package's shape: subpackages in the order of the course, imported only downward; no import cycles,
no private names borrowed across modules, no module shadowed by a function; every public name exported.

These rules keep one home per concern (see the developers' guide); a change that breaks them fails here,
with the modules named.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import types
from pathlib import Path

import yolo_training as yt

PACKAGE = Path(yt.__file__).parent
#: The subpackages from the bottom up: a module imports only from its own layer or the ones below.
LAYERS = ("core", "data", "annotate", "training", "results", "search", "inference", "course", "classroom")
TOP = ("cli", "__main__", "__init__")


def _dotted(path: Path) -> str:
    """``yolo_training/data/formats/voc.py`` -> ``data.formats.voc``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_dotted(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, level: int, name: str | None) -> str:
    """The dotted name (below ``yolo_training``) that a relative import in ``module`` names."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join(base + ([name] if name else []))


def _imports(module: str) -> list[tuple[str, list[str]]]:
    """(imported module, names) for every import of the package's own modules in ``module``, at any depth."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            target = _resolve(module, node.level, node.module)
            for alias in node.names:  # `from . import env` imports the module env
                sub = f"{target}.{alias.name}" if target else alias.name
                found.append((sub, []) if sub in MODULES else (target, [alias.name]))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("yolo_training."):
            found.append((node.module.removeprefix("yolo_training."), [a.name for a in node.names]))
    return [(m, names) for m, names in found if m in MODULES]


def _graph() -> dict[str, set[str]]:
    return {name: {m for m, _ in _imports(name)} - {name} for name in MODULES}


def _layer(module: str) -> int:
    head = module.split(".")[0]
    return LAYERS.index(head) if head in LAYERS else len(LAYERS)


def test_every_module_lives_in_a_subpackage_of_the_course():
    loose = [m for m in MODULES if "." not in m and m not in TOP and m not in LAYERS]
    assert loose == [], f"modules outside the subpackages {LAYERS}: {loose}"
    assert sorted(m for m in MODULES if "." not in m and m not in TOP) == sorted(LAYERS)


def test_each_subpackage_says_what_lives_there():
    for package in [m for m, p in MODULES.items() if p.name == "__init__.py" and m != "__init__"]:
        doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8")))
        assert doc and len(doc.splitlines()[0]) > 20, f"yolo_training/{package.replace('.', '/')}/__init__.py has no docstring"


def test_subpackages_import_only_downward_in_the_order_of_the_course():
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if module not in TOP and _layer(target) > _layer(module)
    ]
    assert upward == [], f"imports against the order {' < '.join(LAYERS)}: {upward}"


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
        if module not in state and module != "__init__":
            visit(module, [module])
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_names_imported_across_modules():
    borrowed = [
        f"{name} imports {m}.{n}"
        for name in MODULES
        for m, names in _imports(name)
        for n in names
        if n.startswith("_") and m != name
    ]
    assert borrowed == [], "private names used outside their module: " + "; ".join(borrowed)


def test_no_module_is_shadowed_by_a_function():
    """``import yolo_training.training.fit as m`` gives the module, and no module is named like a public name."""
    shadowed = []
    for dotted in MODULES:
        if dotted in TOP or dotted == "__init__":
            continue
        parent, _, leaf = f"yolo_training.{dotted}".rpartition(".")
        if not isinstance(getattr(importlib.import_module(parent), leaf, None), types.ModuleType):
            shadowed.append(f"{parent}.{leaf} is not the module")
        if leaf in yt.__all__:
            shadowed.append(f"module {dotted} is named like yt.{leaf}")
    assert shadowed == []


def test_every_public_name_is_exported_from_the_package():
    assert sorted(set(yt.__all__)) == sorted(yt.__all__), "a name is listed twice in __all__"
    assert [n for n in yt.__all__ if not hasattr(yt, n)] == []


def test_the_facade_imports_each_module_once_grouped_by_step():
    """``__init__`` imports each module in one statement, in the order of :data:`LAYERS`."""
    tree = ast.parse(MODULES["__init__"].read_text(encoding="utf-8"))
    sources = [_resolve("__init__", n.level, n.module) for n in tree.body if isinstance(n, ast.ImportFrom) and n.level]
    sources = [s for s in sources if s in MODULES and s.split(".")[0] in LAYERS]
    assert len(sources) == len(set(sources)), f"a module is imported twice: {sorted(s for s in sources if sources.count(s) > 1)}"
    layers = [_layer(s) for s in sources]
    assert layers == sorted(layers), "the facade's imports are not in the order of the course"


def test_all_is_grouped_by_step_and_alphabetical_within():
    homes = {name: getattr(yt, name).__module__ if hasattr(getattr(yt, name), "__module__") else "" for name in yt.__all__}
    steps = [_layer(homes[n].removeprefix("yolo_training.")) for n in yt.__all__]
    assert steps == sorted(steps), "yt.__all__ is not grouped by step of the course"
    for step in set(steps):
        names = [n for n, s in zip(yt.__all__, steps) if s == step]
        assert names == sorted(names, key=str.lower), f"{LAYERS[step]}'s names in __all__ are not alphabetical"


def test_readme_shows_the_tree_from_the_subpackages_docstrings():
    """README's "Where things live" is one line per subpackage, its docstring's first line: it cannot drift."""
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    for package in [m for m, p in MODULES.items() if p.name == "__init__.py" and m != "__init__"]:
        first = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8"))).splitlines()[0]
        line = f"{package.replace('.', '/')}/"
        assert re.search(rf"^\s*\S*{re.escape(line)}\s+{re.escape(first)}\s*$", section, re.M), (
            f"README's 'Where things live' lacks the line: {line}  {first}"
        )


def test_the_api_page_documents_every_name_of_yt_in_its_home():
    """docs/api.md lists each name of ``yt.__all__`` once, under the module it is defined in, and nothing else."""
    page = (PACKAGE.parent / "docs" / "api.md").read_text(encoding="utf-8")
    documented = [
        (module, name.strip())
        for module, members in re.findall(r"^::: (\S+)\n    options:\n      members: \[([^\]]*)\]", page, re.M)
        for name in members.split(",")
    ]
    assert sorted(n for _, n in documented) == sorted(yt.__all__), "docs/api.md and yt.__all__ disagree"
    wrong = [f"{n} is documented under {m}, lives in {getattr(yt, n).__module__}"
             for m, n in documented if getattr(yt, n).__module__ != m]
    assert wrong == []


#: The built-in exceptions the package raises on purpose, by module: none of them reaches a student.
INTERNAL_RAISES = {
    ("__main__", "SystemExit"): "the command's exit code",
    ("cli", "SystemExit"): "the command's exit code",
    ("core.events", "KeyError"): "an event name the package's own code misspelt (the events are not public)",
    ("data.formats.coco", "TypeError"): "caught in the same function and raised again as a DatasetError",
    ("training.runs", "ValueError"): "set_status gets its status from the package's own code, never a student's",
}


def _builtin_raises() -> dict[tuple[str, str], list[int]]:
    builtin = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
    found: dict[tuple[str, str], list[int]] = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name) and exc.id in builtin:
                    found.setdefault((module, exc.id), []).append(node.lineno)
    return found


def test_errors_a_student_can_hit_are_the_packages_own():
    """No ``raise ValueError(...)`` (OSError, TypeError, ...): the CLI prints those as tracebacks, not one line.

    A bad argument is an :class:`yolo_training.ArgumentError`, a failed write a :class:`yolo_training.WriteError`
    (both still the built-in type for code that catches that); the few internal invariants are listed above.
    """
    found = _builtin_raises()
    students = [f"yolo_training/{MODULES[m].relative_to(PACKAGE).as_posix()}:{line}: raise {exc}"
                for (m, exc), lines in sorted(found.items()) if (m, exc) not in INTERNAL_RAISES for line in lines]
    assert students == [], "use an error type of yolo_training/core/errors.py:\n" + "\n".join(students)
    stale = sorted(set(INTERNAL_RAISES) - set(found))
    assert stale == [], f"INTERNAL_RAISES lists raises that are gone: {stale}"
