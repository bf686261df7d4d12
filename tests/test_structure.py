"""The layout issue 15 asked for, held: no module of `patients/` over 400 lines, and no
benchmark code in the product (it lives in bench/, installed only by bench.settings)."""

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
