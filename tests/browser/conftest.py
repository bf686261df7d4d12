"""Browser fixtures: Debian's Chromium driven by Playwright, one per browser module, a context
per test; the helpers they use are in tests/support/browser.py.

See DESIGN.md, "Browser tests: a set-up known to work on these machines".
Never run `playwright install`.
"""

import os

import pytest

from tests.support.browser import (
    AXE_PATH,
    CHROMIUM_ARGS,
    PAGES_TO_VALIDATE,
    ConsoleErrors,
    make_care_data,
    make_care_team_data,
    new_context,
    vnu_errors,
)
from tests.support.services import chromium_path, need_service

# Playwright's sync API runs an event loop in the test thread: without this, the ORM calls the
# tests themselves make (fixtures, assertions on the database) raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="module")
def playwright_driver():
    """One Playwright per browser module: the sync API refuses a second one in the same thread,
    so a test that needs a browser with other flags (the fake camera) launches it from this one.
    Not one per session: its event loop runs in the test thread for as long as it lives, and a
    test of another module run after it on the same xdist worker (tests/security/
    test_oversized.py's asyncio.run) would find that loop running."""
    executable = chromium_path()
    need_service(bool(executable) and os.access(executable, os.X_OK), "Chromium is not installed")
    need_service(AXE_PATH.is_file(), f"axe-core is missing ({AXE_PATH}): run npm ci")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        need_service(False, "the playwright Python package is not installed")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module", autouse=True)
def valid_html():
    """The Nu Html Checker on every page `check_page` saw in this module, in one Java call at the
    module's end (issue 18, item 7): zero errors. A failure shows as an error of the module's
    last test."""
    PAGES_TO_VALIDATE.clear()
    yield
    pages = list(PAGES_TO_VALIDATE)
    PAGES_TO_VALIDATE.clear()
    if pages:
        errors = vnu_errors(pages)
        assert not errors, f"Nu Html Checker, {len(errors)} errors:\n" + "\n".join(errors[:60])


@pytest.fixture
def context(browser):
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def nojs_context(browser):
    context = new_context(browser, java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def console_errors():
    return ConsoleErrors()


@pytest.fixture
def page(context, console_errors):
    page = context.new_page()
    console_errors.watch(page)
    return page


@pytest.fixture
def care_data(patient):
    """Camille on guselkumab for 8 weeks (tests/support/browser.py's `make_care_data`)."""
    return make_care_data(patient)


@pytest.fixture
def care_team_data(care_data, clinician, pending_clinician, checklist):
    """`care_data` plus Camille's care team (tests/support/browser.py's `make_care_team_data`)."""
    return make_care_team_data(care_data, clinician, pending_clinician, checklist)
