"""The layout issue 15 asked for, held: no module of `patients/` over 400 lines, and no
benchmark code in the product (it lives in bench/, installed only by bench.settings)."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_no_module_of_patients_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "patients").rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"over {LIMIT} lines: {long}"


@pytest.mark.parametrize("folder", ["patients", "config", "content", "therapies"])
def test_no_benchmark_code_ships_with_the_product(folder):
    benches = [
        str(path.relative_to(ROOT))
        for path in (ROOT / folder).rglob("*.py")
        if "bench" in path.name
    ]
    assert not benches


def test_the_bench_app_is_not_installed_by_the_products_settings():
    assert "bench" not in settings.INSTALLED_APPS


def _page_templates() -> set[str]:
    """Templates that extend another one: pages, which own themselves."""
    folder = ROOT / "templates"
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*.html")
        if "{% extends" in path.read_text(encoding="utf-8")
    }


def test_no_page_template_is_included_as_a_partial_library():
    """Item 5: shared partials live in their own template files; a page may render its own
    partials (htmx answers), but no other template includes a page's."""
    folder = ROOT / "templates"
    pages = _page_templates()
    borrowed = []
    for path in folder.rglob("*.html"):
        name = str(path.relative_to(folder))
        for included in re.findall(r"""\{%\s*include\s+["']([^"'#]+)#""", path.read_text()):
            if included in pages and included != name:
                borrowed.append(f"{name} includes a partial of the page {included}")
    assert not borrowed, borrowed


def _function_level_imports(path: Path) -> list[str]:
    """`import` statements inside a function with no comment on their line or the line above
    (or a comment block just above the first of a run of imports)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            above = node.lineno - 2
            while above >= 0 and re.match(r"\s*(from \S+ )?import |\s*$", lines[above]):
                above -= 1  # a run of imports shares the comment above its first line
            if "#" not in lines[node.lineno - 1] and not lines[above].strip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_function_level_imports_say_why():
    """Item 2: imports at the top, except where one is slow (WeasyPrint) or must wait for the
    app registry (AppConfig.ready), and then a comment says so."""
    unexplained = [
        where
        for folder in ("patients", "config", "content", "therapies", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
        for where in _function_level_imports(path)
    ]
    assert not unexplained, unexplained
