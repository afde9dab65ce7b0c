"""The package's layers, read from its source: no module imports from a layer above its own, and
no modules import each other in a circle.

Every ``import`` and ``from ... import`` counts, at module level or inside a function (a lazy
import is still a dependency), and so does ``importlib.import_module`` / ``__import__`` of a
literal name. ``from . import name`` is an import of the submodule ``name`` when there is one,
else of the package itself (its ``__init__``). That importing a submodule first runs its
parent package's ``__init__`` is Python's doing, not a dependency, and is not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "backprop_lab"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE  # read, never imported

# Lowest first. A module may import its own layer and those below it. A name is a module
# (``history``) or a subpackage with every module in it (``plots``); "" is the package itself,
# whose __init__ re-exports the library up to training.
LAYERS: list[tuple[str, set[str]]] = [
    ("version", {"_version", "interrupts", "collector"}),
    ("math", {"nn", "optim", "features", "schedule", "model", "gradcheck"}),
    ("data and config", {"data", "config"}),
    (
        "training and run folders",
        {
            "training",
            "history",
            "run_checks",
            "files",
            "run_folder",
            "budget",
            "starting_points",
            "sweep",
            "sweep_kernel",
            "_sweep_jit",
            "sweep_workers",
            "",
        },
    ),
    (
        "analysis",
        {"stats", "diagnose", "explain", "predictions", "naming", "numbers", "landscape"},
    ),
    ("figures", {"plots"}),
    ("pages", {"report", "tensorboard_export"}),
    ("notebook", {"notebook"}),
    ("playground", {"web"}),
    ("command line", {"cli", "__main__"}),
]

# Imports that break the rule on purpose, each with why. Keep this to bridges while code moves
# and doors a user expects on a low-level object; an entry that no longer matches an import
# fails the tests.
ALLOWED: dict[tuple[str, str], str] = {
    ("backprop_lab.history", "backprop_lab.notebook"): "a History shows itself in a notebook "
    "(_repr_html_, animate, explore): doors users expect on the run itself, each importing the "
    "notebook layer only when called",
}


# --------------------------------------------------------------------------- the import graph


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module under ``root`` by dotted name; a package by its own name (its __init__)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _base(module: str, path: Path, level: int) -> str:
    """What ``from .`` (level 1), ``from ..`` (level 2), ... mean inside ``module``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imports(module: str, path: Path, known: dict[str, Path], package: str):
    """(imported module, line) for each import in ``module``'s source of a module of ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def inside(name: str) -> bool:
        return name.startswith(package + ".")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or inside(alias.name):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base(module, path, node.level)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if source != package and not inside(source):
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield (submodule if submodule in known else source), node.lineno
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and (first.value == package or inside(first.value))
            ):
                yield first.value, node.lineno


def import_graph(root: Path, package: str) -> dict[str, dict[str, int]]:
    """module -> {module it imports: first line that does}, within the package."""
    known = modules(root, package)
    graph: dict[str, dict[str, int]] = {}
    for module, path in known.items():
        edges = graph.setdefault(module, {})
        for target, line in imports(module, path, known, package):
            if target != module:
                edges.setdefault(target, line)
    return graph


def layer_of(module: str, layers, package: str) -> int | None:
    """The index of ``module``'s layer in ``layers``, None when no layer names it."""
    relative = module.removeprefix(package).removeprefix(".")
    for index, (_, names) in enumerate(layers):
        for name in names:
            if relative == name or (name and relative.startswith(name + ".")):
                return index
    return None


def upward_imports(graph, layers, package: str, allowed=()) -> list[str]:
    """Each import of a module in a higher layer, in words."""
    out = []
    for module, edges in sorted(graph.items()):
        own = layer_of(module, layers, package)
        for target, line in sorted(edges.items()):
            theirs = layer_of(target, layers, package)
            if (module, target) in allowed or own is None or theirs is None or theirs <= own:
                continue
            out.append(
                f"{module} ({layers[own][0]}) imports {target} ({layers[theirs][0]}), line {line}"
            )
    return out


def cycles(graph, allowed=()) -> list[list[str]]:
    """Circles of imports, each as [a, b, ..., a]: in every group of modules that import each
    other (Tarjan's strongly connected components), a shortest circle through each module that
    no earlier circle passes through."""
    edges = {
        m: sorted(t for t in targets if t in graph and (m, t) not in allowed)
        for m, targets in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(m: str) -> None:
        index[m] = low[m] = len(index)
        stack.append(m)
        on_stack.add(m)
        for t in edges[m]:
            if t not in index:
                visit(t)
                low[m] = min(low[m], low[t])
            elif t in on_stack:
                low[m] = min(low[m], index[t])
        if low[m] == index[m]:
            group = []
            while True:
                t = stack.pop()
                on_stack.discard(t)
                group.append(t)
                if t == m:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    circles = []
    for group in sorted(groups):
        covered: set[str] = set()
        for start in group:
            if start not in covered:
                circles.append(_circle(start, set(group), edges))
                covered.update(circles[-1])
    return circles


def _circle(start: str, members: set[str], edges) -> list[str]:
    """A shortest circle from ``start`` through ``members``, by breadth-first search."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    for m in queue:
        for t in edges[m]:
            if t == start:
                path = [m]
                previous = came_from[m]
                while previous is not None:
                    path.append(previous)
                    previous = came_from[previous]
                return [*reversed(path), start]
            if t in members and t not in came_from:
                came_from[t] = m
                queue.append(t)
    raise AssertionError(f"no circle through {start}")


# --------------------------------------------------------------------------- the package


@pytest.fixture(scope="module")
def graph():
    return import_graph(SOURCE, PACKAGE)


def test_every_module_has_one_layer(graph):
    unplaced = [m for m in sorted(graph) if layer_of(m, LAYERS, PACKAGE) is None]
    assert not unplaced, f"no layer for {', '.join(unplaced)}: add them to LAYERS"
    names = [name for _, layer in LAYERS for name in layer]
    assert len(names) == len(set(names)), "a name in two layers"


def test_no_module_imports_from_a_higher_layer(graph):
    upward = upward_imports(graph, LAYERS, PACKAGE, ALLOWED)
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles(graph):
    found = cycles(graph, ALLOWED)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_allowed_exception_is_still_an_import(graph):
    stale = [f"{a} -> {b}" for a, b in ALLOWED if b not in graph.get(a, {})]
    assert not stale, "allowed but no longer imported, remove from ALLOWED: " + ", ".join(stale)


# --------------------------------------------------------------------------- the checker


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


TOY_LAYERS = [("low", {"low", ""}), ("middle", {"middle"}), ("high", {"high", "sub"})]


def test_the_checker_finds_an_upward_import_inside_a_function(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "low.py": "def f():\n    from .sub.page import x\n",
            "middle.py": "from . import low\n",
            "sub/__init__.py": "",
            "sub/page.py": "from ..middle import y\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.middle"] == {"pkg.low": 1}
    assert upward_imports(graph, TOY_LAYERS, "pkg") == [
        "pkg.low (low) imports pkg.sub.page (high), line 2"
    ]
    assert upward_imports(graph, TOY_LAYERS, "pkg", {("pkg.low", "pkg.sub.page")}) == []


def test_the_checker_finds_cycles_and_names_them(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "from .low import helper\nfrom .middle import thing\n",
            "low.py": "from . import __version__\n",
            "middle.py": "import pkg.high\n",
            "high.py": "import importlib\n\nimportlib.import_module('pkg.middle')\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.low"] == {"pkg": 1}  # a name from the package's __init__
    assert graph["pkg.high"] == {"pkg.middle": 3}
    assert cycles(graph) == [["pkg", "pkg.low", "pkg"], ["pkg.high", "pkg.middle", "pkg.high"]]
    assert cycles(graph, {("pkg.low", "pkg"), ("pkg.high", "pkg.middle")}) == []
