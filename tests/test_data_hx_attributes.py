"""Valid HTML (issue 18, item 7): htmx attributes are written `data-hx-*`, never bare `hx-*`
(the Nu Html Checker rejects `hx-get`; htmx 2 reads both). `scripts/data_hx.py` does the rename;
this test fails on any bare attribute left in a template or in Python code that builds HTML."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_HX = re.compile(r"(?<![\w-])hx-[a-z][a-z0-9-]*\s*=")
PYTHON_PACKAGES = ("config", "content", "patients", "therapies")


def _script():
    spec = importlib.util.spec_from_file_location("data_hx", ROOT / "scripts" / "data_hx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_template_carries_a_bare_hx_attribute():
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE_HX.search(line)
    ]
    assert bare == [], "run `python scripts/data_hx.py`: " + ", ".join(bare)


def test_no_python_code_builds_html_with_a_bare_hx_attribute():
    bare = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PYTHON_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BARE_HX.search(line)
    ]
    assert bare == []


def test_the_rename_script_turns_bare_attributes_into_data_attributes_and_is_idempotent():
    rename = _script().rename
    html = '<form hx-post="/x" hx-target="#a"\n  hx-swap="outerHTML" data-hx-get="/y">'
    once = rename(html)
    assert once == (
        '<form data-hx-post="/x" data-hx-target="#a"\n  data-hx-swap="outerHTML" data-hx-get="/y">'
    )
    assert rename(once) == once
    assert rename("<p>hx-post is an htmx attribute</p>") == "<p>hx-post is an htmx attribute</p>"


def test_the_guard_pattern_sees_a_bare_attribute_and_ignores_the_valid_form():
    assert BARE_HX.search('<a hx-get="/x">')
    assert not BARE_HX.search('<a data-hx-get="/x">')
