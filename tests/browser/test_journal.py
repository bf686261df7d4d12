"""The journal in Chromium (issue 20): at 375 px a patient records a reaction and an itch score,
two taps each from the dashboard, and sees the trend; her specialist sees the flags and the
chart. Every page gets the full check (tests/support/browser.py's `check_page`: axe, the console,
no sideways scroll at 320 px, the focus ring, the Nu Html Checker) in French and English."""

from datetime import timedelta

import pytest
from django.test import Client

from patients import timeutils
from patients.journal.scores import record_scores
from patients.journal.sharing import set_sharing
from patients.models import CareLink, FlagReason, JournalEntry, JournalFlag, ScoreSet
from tests.support.browser import check_page, login_with_session, new_context

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def url_for(live_server, language: str, path: str) -> str:
    return f"{live_server.url}{'' if language == 'fr' else '/' + language}{path}"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_reaction_and_an_itch_score_in_two_taps_then_the_specialist_sees_the_flags(
    live_server, browser, care_data, clinician, console_errors, language
):
    patient = care_data["patient"]
    CareLink.objects.create(patient=patient, clinician=clinician)
    now_day = timeutils.local_today(patient.zone)
    for months_ago in (3, 2, 1):  # her own baseline: itch 2
        record_scores(
            patient=patient, recorded_on=now_day - timedelta(days=30 * months_ago), itch=2
        )
    from django.utils import timezone

    set_sharing(patient=patient, clinician=clinician, shared=True, now=timezone.now())

    phone = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(30_000)  # a shared CI machine can be slow
    page = phone.new_page()
    console_errors.watch(page)
    login_with_session(phone, Client(), live_server, patient)
    page.goto(url_for(live_server, language, "/dashboard/"))
    check_page(page, console_errors, language=language)

    # A reaction: tap 1 opens the block, tap 2 records it; a marked one shows what to do.
    reaction = page.locator("#journal details.quick").nth(1)
    reaction.locator("summary").tap()
    reaction.locator("button[name=reaction][value=marked]").tap()
    page.wait_for_url(lambda url: "/journal/entries/" in url)
    assert page.locator(".guidance a[href='https://signalement-sante.gouv.fr']").count() >= 1
    check_page(page, console_errors, language=language)
    assert JournalEntry.objects.get().site_reaction == "marked"

    # An itch score: the same two taps.
    page.goto(url_for(live_server, language, "/dashboard/"))
    itch = page.locator("#journal details.quick").first
    itch.locator("summary").tap()
    itch.locator("button[name=itch][value='8']").tap()
    page.wait_for_url(lambda url: url.endswith("/dashboard/#journal"))
    assert ScoreSet.objects.get(recorded_on=now_day).itch == 8
    chart = page.locator("#journal figure.trend svg")
    assert chart.is_visible()
    assert chart.locator("circle").count() == 4  # three months of baseline and today
    check_page(page, console_errors, language=language)

    # The specialist: the flags, newest first, each saying why; then the chart.
    assert set(JournalFlag.objects.values_list("reason", flat=True)) == {
        FlagReason.SITE_REACTION,
        FlagReason.ITCH_UP,
    }
    desk = new_context(browser, viewport={"width": 1100, "height": 900})
    desk.set_default_timeout(30_000)  # a shared CI machine can be slow
    clinic = desk.new_page()
    console_errors.watch(clinic)
    login_with_session(desk, Client(), live_server, clinician)
    clinic.goto(url_for(live_server, language, "/clinic/"))
    flags = clinic.locator("#flags li.flag")
    assert flags.count() == 3  # and dose 2, overdue for weeks, last
    assert "8/10" in flags.first.inner_text()  # the itch flag is the newest
    check_page(clinic, console_errors, language=language)
    clinic.locator("#flags li.flag").first.locator("a").click()
    clinic.wait_for_url(lambda url: f"/clinic/patients/{patient.pk}/" in url)
    assert clinic.locator("#journal figure.trend svg").first.is_visible()
    check_page(clinic, console_errors, language=language)
    phone.close()
    desk.close()
