"""Every public page (signed out: the home page, sign-up and log-in, the therapies, the articles,
the glossary, search), in French and in English, passes the full page check in Chromium (axe-core's
WCAG 2.x A/AA rules, the console, no sideways scroll at 320 px, the focus ring, the Nu Html
Checker).

These pages are only opened (GET): the catalogue and the articles are committed once for the
module behind a live server of its own (tests/support/browser.py's `module_live_server`), and
one signed-out page is taken to each address in turn.
"""

import pytest

from tests.support import database
from tests.support.browser import (
    LANGUAGES,
    ConsoleErrors,
    check_page,
    module_live_server,
    new_context,
    url_for,
)

# django_db: without a test that asks for the database, pytest-django sets none up (a run of
# this module alone); the pages themselves read the rows `site` commits, through the live server.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# (test id, path)
ANONYMOUS_PAGES = [
    ("home", "/"),
    ("signup", "/accounts/signup/"),
    ("login", "/accounts/login/"),
    ("password-reset", "/accounts/password_reset/"),
    ("password-reset-done", "/accounts/password_reset/done/"),
    ("password-reset-bad-link", "/accounts/reset/bad/bad-token/"),
    ("password-reset-complete", "/accounts/reset/done/"),
    ("therapy-list", "/therapies/"),
    ("therapy-guselkumab", "/therapies/guselkumab/"),
    ("therapy-ixekizumab", "/therapies/ixekizumab/"),
    ("privacy", "/privacy/"),
    ("signup-clinician", "/accounts/signup/clinician/"),
    ("signup-sent", "/accounts/signup/sent/"),
]
# Pages that show the articles and the glossary (`site` loads them).
CONTENT_PAGES = [
    ("articles", "/articles/"),
    ("article", "/articles/what-are-interleukins/"),
    ("article-with-figure", "/articles/anti-interleukins-for-psoriasis/"),
    ("article-class", "/articles/class-anti-il17/"),
    ("article-travel", "/articles/travelling-with-treatment/"),
    ("article-safety-table", "/articles/pregnancy-and-breastfeeding/"),
    ("article-safety-figure-table", "/articles/injection-technique/"),
    ("glossary", "/glossary/"),
    ("search", "/search/?q=interleukine"),
    ("search-nothing", "/search/?q=zzzz"),
    ("therapy-with-class-article", "/therapies/secukinumab/"),
]


@pytest.fixture(scope="module")
def site(browser, django_db_setup, django_db_blocker):
    """The live server, with the catalogue and the articles and glossary committed."""
    with module_live_server(django_db_blocker) as server:
        with django_db_blocker.unblock():
            database.content()
        yield server


@pytest.fixture(scope="module")
def signed_out(browser, site):
    """One signed-out page that each test takes to its address (the same renderer, which keeps
    axe-core compiled), in a context of its own."""
    context = new_context(browser)
    yield context.new_page()
    context.close()


def open_and_check(site, page, language: str, path: str) -> None:
    console_errors = ConsoleErrors()
    console_errors.watch(page)
    try:
        response = page.goto(url_for(site, language, path))
        assert response.status == 200, f"{page.url} answered {response.status}"
        check_page(page, console_errors, language=language)
    finally:
        console_errors.unwatch(page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "path"), ANONYMOUS_PAGES, ids=[p[0] for p in ANONYMOUS_PAGES])
def test_anonymous_page(site, signed_out, language, name, path):
    open_and_check(site, signed_out, language, path)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "path"), CONTENT_PAGES, ids=[p[0] for p in CONTENT_PAGES])
def test_content_page(site, signed_out, language, name, path):
    open_and_check(site, signed_out, language, path)
