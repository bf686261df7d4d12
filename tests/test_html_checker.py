"""The Nu Html Checker as the browser run calls it (tests/support/browser.py's `vnu_errors`):
it must report an invalid page, keep a valid one clean, and name the page each error is on;
a checker that could not run must fail, not pass as if every page were clean."""

from tests.support.browser import vnu_errors

VALID = (
    '<!doctype html><html lang="en"><head><title>Fine</title></head><body><p>Hi</p></body></html>'
)
INVALID = (
    '<!doctype html><html lang="en"><head><title>Broken</title></head>'
    '<body><p hx-get="/x">Hi</span></body></html>'
)


def test_the_checker_reports_the_invalid_page_only_and_names_it():
    errors = vnu_errors([("http://test/valid/", VALID), ("http://test/invalid/", INVALID)])
    assert errors, "an invalid page passed"
    assert all(error.startswith("http://test/invalid/:") for error in errors), errors
    assert any("hx-get" in error for error in errors), errors
