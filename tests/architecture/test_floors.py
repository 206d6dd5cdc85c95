"""The project's packages stand in floors that only import downwards, and no module imports
itself back through others. The floors are declared once, in docs/architecture.md ("Floors"),
and read from there; every ``import`` in the packages' code is read with ast (those inside
functions too: a lazy import is still a dependency)."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARCHITECTURE = REPO / "docs" / "architecture.md"
FLOOR_ROW = re.compile(r"^\| (\d+) \| `([\w.]+)` \|")


def declared_floors(text: str) -> dict[str, int]:
    """unit (a package, or a module that stands above its package) -> floor, from the table
    under the "## Floors" heading."""
    section = text.split("\n## Floors", 1)[1].split("\n## ", 1)[0]
    return {match[2]: int(match[1]) for line in section.splitlines() if (match := FLOOR_ROW.match(line))}


FLOORS = declared_floors(ARCHITECTURE.read_text(encoding="utf-8"))


def project_modules() -> dict[str, Path]:
    """Every module of the declared packages (and top-level modules such as tasks.py)."""
    modules = {}
    for unit in {unit.split(".")[0] for unit in FLOORS}:
        if (REPO / f"{unit}.py").is_file():
            modules[unit] = REPO / f"{unit}.py"
            continue
        for path in (REPO / unit).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports, relative imports resolved; a name imported from a
    package counts as its submodule when there is one."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def unit_of(module: str) -> str:
    """The declared unit a module belongs to: the longest declared prefix."""
    return max((unit for unit in FLOORS if module == unit or module.startswith(unit + ".")), key=len)


@functools.cache
def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other round a circle (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} (floor {FLOORS[unit_of(module)]}) imports {imported} (floor {FLOORS[unit_of(imported)]})"
        for module, imports in graph.items()
        for imported in imports
        if FLOORS[unit_of(imported)] > FLOORS[unit_of(module)]
    )


def test_the_floors_are_declared_and_every_package_has_one():
    assert FLOORS["shared"] == 0 and FLOORS["tasks"] == max(FLOORS.values())
    packages = {path.parent.name for path in REPO.glob("*/__init__.py")} | {"plugins"}
    assert packages - {"tests", "scripts"} <= set(FLOORS), "a package without a floor in docs/architecture.md"


def test_no_import_runs_up_a_floor():
    assert upward_imports(import_graph()) == []


def test_no_modules_import_each_other_round_a_circle():
    assert cycles(import_graph()) == []


def test_the_lambda_package_imports_only_the_floor_below_it():
    graph = import_graph()
    reached = {unit_of(imported) for module, imports in graph.items() if unit_of(module) == "counter_lambda"
               for imported in imports}
    assert reached <= {"counter_lambda", "shared"}


@pytest.mark.parametrize("written, caught", [
    ({"shared.a": {"deploy.b"}, "deploy.b": set()}, "upward"),
    ({"deploy.a": {"deploy.b"}, "deploy.b": {"deploy.a"}}, "cycle"),
])
def test_the_checks_catch_a_broken_graph(written, caught):
    """The two rules on graphs written to break them: each is reported."""
    if caught == "upward":
        assert upward_imports(written) == [f"shared.a (floor 0) imports deploy.b (floor {FLOORS['deploy']})"]
    else:
        assert cycles(written) == [["deploy.a", "deploy.b"]]
