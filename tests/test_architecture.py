"""The house: layers that only import downwards, no import circle, functions and modules a newcomer can hold.

The layers, from the bottom (README, "Architecture"):

0. base modules at the top of the package (errors, i18n, text, tables, writing, geodesy...)
1. ``inputs``    files read, validated, held: the Region
2. ``travel``    the seam: travel models and the tables they answer
3. ``standards`` catalogues, kinds of standard, assessment
4. ``siting``    location models (a pure core) and siting on a region
5. ``outputs``   scorecard, reports, exports, maps
6. ``pipeline``  whole runs (many regions)
7. ``cli``       the command
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "coverage"
LAYERS = ("inputs", "travel", "standards", "siting", "outputs", "pipeline", "cli")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 600


def module_name(path: Path) -> str:
    parts = ["coverage", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (annotations only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def imports_of(name: str) -> set[str]:
    """The package's modules that ``name`` imports, at module level or inside functions (run-time imports)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("coverage"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("coverage"))
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> int:
    """0 for the base modules (and the package's lazy facade), else 1 + the position of its subpackage."""
    parts = name.split(".")
    return LAYERS.index(parts[1]) + 1 if len(parts) > 1 and parts[1] in LAYERS else 0


def test_no_import_circle():
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not circles, circles


def test_layers_only_import_downwards():
    upward = [
        f"{a} ({LAYERS[layer(a) - 1] if layer(a) else 'base'}) imports {b}"
        for a, targets in GRAPH.items()
        for b in targets
        if a != "coverage" and layer(b) > layer(a)
    ]
    assert not upward, "\n".join(upward)


def test_the_solver_core_imports_almost_nothing():
    """siting's models run on arrays: they import no region, travel, standard or output."""
    core = [n for n in MODULES if n.startswith("coverage.siting.") and n != "coverage.siting.planning"]
    allowed = {"coverage.i18n", "coverage", "coverage._lazy"} | set(core)
    for name in core:
        assert GRAPH[name] <= allowed, (name, GRAPH[name] - allowed)


def _functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("name", sorted(MODULES))
def test_functions_and_modules_stay_small(name):
    text = MODULES[name].read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, f"{name}: {text.count(chr(10))} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in _functions(ast.parse(text))
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: {long}"


def test_the_walk_finds_imports_inside_functions():
    """The oracle of the tests above: a function-level import is an edge too (they made the old circles)."""
    assert "coverage.cli.commands" in GRAPH["coverage.cli._main"] or any("coverage.cli" in m for m in GRAPH["coverage.cli._main"])
    assert "coverage.writing" in GRAPH["coverage.inputs.init_region"]


def test_every_core_dependency_is_imported_by_the_package():
    """A core dependency the package never imports is weight on every install (networkx and osmnx once were)."""
    import re
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    import_name = {"xstatic-leaflet": "xstatic", "pillow": "PIL", "OpenCC": "opencc"}
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    unused = []
    for requirement in project["dependencies"]:
        dist = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
        if import_name.get(dist, dist.replace("-", "_")) not in imported:
            unused.append(dist)
    assert not unused, unused
