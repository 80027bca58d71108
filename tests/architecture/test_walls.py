"""The walls of the house that no linter keeps: modules that fit in a head, functions that fit
on a screen, the vehicle catalog handed down rather than read. (Which package may import which is
import-linter's: its contracts in pyproject.toml run in `make test`.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Packages held to the limits; routing's numba kernels are exempt (docs/routing.md).
CHECKED = ("fleet", "dispatch", "web", "config", "cli", "bootstrap")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def sources() -> list[Path]:
    """Every Python module of the checked packages, migrations excepted."""
    return sorted(
        path
        for package in CHECKED
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_there_are_modules_to_check():
    assert len(sources()) > 50


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_fit_in_a_head(path):
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{lines} lines: split it into modules of one concept"
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines: {', '.join(too_long)}"


def test_the_default_catalog_is_read_only_by_the_composition_root():
    """Operators pass their own vehicle catalog; below the composition root it is handed down."""
    readers = [
        str(path.relative_to(ROOT))
        for path in sources() + sorted((ROOT / "routing").rglob("*.py"))
        if "DEFAULT_CATALOG" in path.read_text(encoding="utf-8")
    ]
    assert sorted(readers) == ["bootstrap/__init__.py", "fleet/catalog.py"]
