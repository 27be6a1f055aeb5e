"""Imports run one way: CLI → lessons → tuning → harness → keras_models / tf_raw / reports.

Every module of the project is read with `ast` (imports inside functions included) and each import of a
project module is checked against the layer table below. A module may import its own layer and any layer
under it; an import that runs upward fails here, naming the file, the line and the two layers.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom; a module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli", ("nnlab.cli", "nnlab.commands", "nnlab.__main__")),
    ("lessons", ("lessons",)),
    ("tuning", ("tuning",)),
    ("harness", ("nnlab",)),
    ("foundations", ("keras_models", "tf_raw", "reports")),
    # The exception types a user can fix: every layer raises them, and the module imports nothing.
    ("errors", ("nnlab.errors",)),
)
PACKAGES = ("nnlab", "lessons", "tuning", "keras_models", "tf_raw", "reports")
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}


def layer_of(module: str) -> str | None:
    best, length = None, -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = name, len(prefix)
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a project package in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" for alias in node.names] if base in PACKAGES else [base]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in PACKAGES]
    return found


def project_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_every_module_has_a_layer():
    assert [str(p) for p in project_modules() if layer_of(module_name(p)) is None] == []


@pytest.mark.parametrize("path", project_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_downward(path):
    here = layer_of(module_name(path))
    upward = [f"{path.relative_to(ROOT)}:{line} imports {name} ({layer_of(name)} is above {here})"
              for line, name in project_imports(path) if RANK[layer_of(name)] < RANK[here]]
    assert upward == []


def test_layer_table_orders_the_packages():
    """The checker itself: reports importing the runner runs upward, a lesson importing it does not."""
    assert RANK[layer_of("nnlab.runner")] < RANK[layer_of("reports.store")]
    assert RANK[layer_of("nnlab.runner")] > RANK[layer_of("lessons.fashion_mlp")]
    assert layer_of("nnlab.errors") == "errors" and layer_of("nnlab.cli") == "cli"
