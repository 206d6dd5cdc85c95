"""The shape deploy/ keeps: every value typed for what it is (no ``Any``), and no function that
takes more than five positional parameters (a run's data travels on its Deployer instead)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.targets import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
MAX_POSITIONAL = 5


def modules() -> list[Path]:
    return sorted(DEPLOY.glob("*.py"))


def positional_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> list[str]:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    if in_class and names and names[0] in {"self", "cls"}:
        names = names[1:]
    return names


def functions(tree: ast.Module):
    """(function, defined in a class) for every def of a module, nested ones included."""
    def visit(node: ast.AST, in_class: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, in_class
                yield from visit(child, False)
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, True)
            else:
                yield from visit(child, in_class)

    yield from visit(tree, False)


def names_any(node: ast.AST | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted annotation
        try:
            return names_any(ast.parse(node.value, mode="eval"))
        except SyntaxError:
            return False
    return any(
        (isinstance(n, ast.Name) and n.id == "Any") or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(node)
    )


def annotations(tree: ast.Module):
    """(line, annotation) of every parameter, return value and annotated name."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            for argument in every:
                yield argument.lineno, argument.annotation
            yield node.lineno, node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.lineno, node.annotation


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_no_function_takes_more_than_five_positional_parameters(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    too_many = [
        f"{path.name}:{function.lineno} {function.name}({', '.join(names)})"
        for function, in_class in functions(tree)
        if len(names := positional_parameters(function, in_class)) > MAX_POSITIONAL
    ]
    assert not too_many, "pass what a run shares on its Deployer, or as keywords: " + "; ".join(too_many)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_nothing_is_typed_any(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typed_any = [f"{path.name}:{line}" for line, annotation in annotations(tree) if names_any(annotation)]
    assert not typed_any, "say what the value is (object for what is checked at run time): " + ", ".join(typed_any)


def test_the_checks_catch_what_they_look_for(tmp_path):
    """The walk above finds a six-parameter function and an ``Any`` in a method, a nested
    function and a quoted annotation; ``self`` is not counted."""
    tree = ast.parse(
        "from typing import Any\n"
        "class Run:\n"
        "    def five(self, a, b, c, d, e): ...\n"
        "    def typed(self, value: 'dict[str, Any]') -> None: ...\n"
        "def six(a, b, c, d, e, f, *, g): ...\n"
        "def outer():\n"
        "    def inner(x: Any): ...\n"
    )
    counts = {f.name: len(positional_parameters(f, in_class)) for f, in_class in functions(tree)}
    assert counts == {"five": 5, "typed": 1, "six": 6, "outer": 0, "inner": 1}
    assert sorted(line for line, annotation in annotations(tree) if names_any(annotation)) == [4, 7]
