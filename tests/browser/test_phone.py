"""On a phone (issue 18, item 8): a patient logs a dose, meets the confirmation of an implausible
date (written out in words), corrects it, and reads what was saved; and the screenshots of the
main pages at phone and desktop width (test-artifacts/screenshots/, gitignored; two of them are
committed in docs/ and shown in the README). Every page visited gets the full check
(tests/support/browser.py's `check_page`: axe, the console, no sideways scroll at 320 px, the focus
ring, the Nu Html Checker), in French and English."""

import re
from datetime import timedelta

import pytest
from django.utils import formats, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext

from patients import timeutils
from patients.models import Injection
from tests.factories import TreatmentFactory, log_dose
from tests.support.browser import (
    LANGUAGES,
    check_page,
    check_page_without_javascript,
    login_with_session,
    new_context,
    save_screenshot,
    sideways_overflow_at,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under REQUIRE_SERVICES=1)
    expect = None

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESK = {"width": 1280, "height": 900}


def in_words(day, language="en") -> str:
    with translation.override(language):
        return formats.date_format(day, "l j F Y")


def said(language: str, message: str, **values) -> str:
    """`message` as the page says it in `language`, without its markup."""
    with translation.override(language):
        return strip_tags(gettext(message) % values).replace("\xa0", " ")


def saved_message(language: str, number: int, day, at: str) -> str:
    """The saved message up to the site (the site the form suggests is not fixed here)."""
    message = said(
        language,
        "Dose %(number)s logged: %(date)s at %(time)s, %(site)s.",
        number=number,
        date=in_words(day, language),
        time=at,
        site="{site}",
    )
    return message.split(", {site}")[0]


@pytest.fixture
def phone(browser):
    context = new_context(browser, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_on_a_phone_a_mistyped_date_is_caught_and_the_saved_dose_is_confirmed_with_its_date(
    live_server, client, catalogue, patient, browser, console_errors, javascript, language
):
    moment = timeutils.local_now(patient.zone) - timedelta(minutes=10)  # a time already past
    today, at = moment.date(), moment.strftime("%H:%M")
    # Dose 1 taken 3 days late, 27 days ago; dose 2 is planned 2 days ago.
    treatment = TreatmentFactory(patient=patient, first_dose_on=today - timedelta(days=30))
    log_dose(treatment, 1, today - timedelta(days=27))
    context = new_context(browser, viewport=PHONE, java_script_enabled=javascript)
    context.set_default_timeout(20_000)  # a journey of five pages on a shared 2-core machine
    prefix = "" if language == "fr" else f"/{language}"
    # check_page needs JavaScript in the page (axe): without it, the same HTML is checked.
    check = check_page if javascript else check_page_without_javascript
    try:
        login_with_session(context, client, live_server, patient)
        page = context.new_page()
        console_errors.watch(page)
        page.goto(f"{live_server.url}{prefix}/dashboard/")
        check(page, console_errors, language=language)
        page.locator(f"#treatment-{treatment.pk} a[href*='/injections/new/']").click()
        form = page.locator("form.injection-form")
        expect(form.locator("input[name=taken_date]")).to_be_visible()
        check(page, console_errors, language=language)
        # A slip: the day before dose 1.
        mistyped = today - timedelta(days=28)
        form.locator("input[name=taken_date]").fill(mistyped.isoformat())
        form.locator("input[name=taken_time]").fill(at)
        form.locator("button[type=submit]").click()

        confirm = page.locator("form.dose-confirm")
        expect(confirm).to_be_visible()
        asked = said(
            language,
            "You are saving dose %(number)s as taken on <strong>%(date)s</strong> at %(time)s.",
            number=2,
            date=in_words(mistyped, language),
            time=at,
        )
        before = said(
            language,
            "That is before dose %(previous)s, logged on %(date)s.",
            previous=1,
            date=in_words(today - timedelta(days=27), language),
        )
        text = confirm.inner_text().replace("\xa0", " ")
        assert asked in text and before in text, text
        assert not Injection.objects.filter(dose_number=2).exists()
        check(page, console_errors, language=language)
        save_screenshot(page, f"phone-dose-confirm-{'js' if javascript else 'nojs'}-{language}")

        confirm.locator("button[name=revise]").click()
        form = page.locator("form.injection-form:not(.dose-confirm)")
        expect(form.locator("input[name=taken_date]")).to_have_value(mistyped.isoformat())
        check(page, console_errors, language=language)
        form.locator("input[name=taken_date]").fill(today.isoformat())
        form.locator("button[type=submit]").click()

        expect(page.locator("main")).to_contain_text(saved_message(language, 2, today, at))
        dose = Injection.objects.get(treatment=treatment, dose_number=2)
        assert dose.taken_on == today
        if not javascript:
            page.wait_for_url(re.compile(rf"{prefix}/dashboard/$"))
        check(page, console_errors, language=language)
    finally:
        context.close()


# (file name, path, persona): the main pages, at phone and desktop width.
MAIN_PAGES = [
    ("home", "/", None),
    ("article", "/articles/what-are-interleukins/", None),
    ("dashboard", "/dashboard/", "patient"),
    ("history", "/treatments/{treatment}/history/", "patient"),
    ("checklist", "/checklists/{checklist}/", "patient"),
    ("trip", "/trips/{trip}/", "patient"),
    ("clinic", "/clinic/", "clinician"),
    ("clinic-checklist", "/clinic/checklists/{checklist}/", "clinician"),
]


def test_screenshots_of_the_main_pages_at_phone_and_desktop_width(
    live_server, real_content, care_team_data, browser, console_errors
):
    from django.test import Client

    ids = {
        "treatment": care_team_data["treatment"].pk,
        "checklist": care_team_data["checklist"].pk,
        "trip": care_team_data["trip"].pk,
    }
    saved = []
    for label, viewport in (("phone", PHONE), ("desktop", DESK)):
        contexts = {}
        try:
            for name, path, persona in MAIN_PAGES:
                if persona not in contexts:
                    contexts[persona] = new_context(browser, viewport=viewport)
                    if persona:
                        login_with_session(
                            contexts[persona], Client(), live_server, care_team_data[persona]
                        )
                page = contexts[persona].new_page()
                console_errors.watch(page)
                response = page.goto(f"{live_server.url}/en{path.format(**ids)}")
                assert response.status == 200, f"{page.url} answered {response.status}"
                assert sideways_overflow_at(page, viewport["width"]) <= 0, page.url
                saved.append(save_screenshot(page, f"{name}-{label}"))
                if label == "desktop":  # the full check once a page, in both languages
                    check_page(page, console_errors, language="en")
                    page.goto(f"{live_server.url}{path.format(**ids)}")
                    check_page(page, console_errors, language="fr")
                page.close()
        finally:
            for context in contexts.values():
                context.close()
    assert all(path.stat().st_size > 1000 for path in saved)
