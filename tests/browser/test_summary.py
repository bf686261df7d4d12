"""The visit summary page, for the patient and for her linked specialist, at 375 px in French
and in English: zero axe violations, no sideways scrolling, no console error."""

from datetime import timedelta

import pytest

from tests.support.browser import LANGUAGES, check_page, new_context, open_as

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def summary_data(care_team_data):
    """`care_team_data` with a prepared visit: a late dose, questions, a shared period."""
    from django.utils import timezone

    from patients import timeutils
    from patients.summary.data import Period
    from patients.summary.prepare import save_preparation, share_summary
    from tests.factories import log_dose

    data = care_team_data
    patient, treatment = data["patient"], data["treatment"]
    today = timeutils.local_today(patient.zone)
    # Dose 2 was planned four weeks after dose 1: logged 6 days late.
    log_dose(treatment, 2, treatment.first_dose_on + timedelta(weeks=4, days=6), note="fatigue")
    save_preparation(
        patient=patient,
        last_visit_on=today - timedelta(weeks=10),
        condition="psoriasis",
        questions="Puis-je partir en voyage ?\nEt la vaccination ?",
    )
    share_summary(
        patient=patient, period=Period(today - timedelta(weeks=10), today), now=timezone.now()
    )
    # The journal, shared with the specialist: an infection, a held dose, two weeks of scores.
    from patients.journal.entries import record_entry
    from patients.journal.scores import record_scores
    from patients.journal.sharing import set_sharing

    set_sharing(patient=patient, clinician=data["clinician"], shared=True, now=timezone.now())
    record_entry(
        patient=patient,
        treatment=treatment,
        occurred_on=today - timedelta(days=9),
        infection=True,
        infection_what="sinusite",
        fever=False,
    )
    for days in range(14, 0, -2):
        record_scores(patient=patient, recorded_on=today - timedelta(days=days), itch=days % 9)
    return data


@pytest.fixture
def phone(browser, console_errors):
    """A context 375 px wide and its page, the page's console watched."""
    context = new_context(browser, viewport=PHONE)
    page = context.new_page()
    console_errors.watch(page)
    yield context, page
    context.close()


def overflows(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_patients_summary_page_is_accessible_on_a_phone(
    live_server, client, summary_data, phone, console_errors, language
):
    context, page = phone
    open_as(live_server, client, context, page, summary_data["patient"], language, "/summary/")
    assert page.locator("h1").count() == 1
    assert page.get_by_text("fatigue").count() >= 1
    assert page.locator("#summary-journal").count() == 1
    assert page.locator("#summary-score-itch + svg.trend").is_visible()
    check_page(page, console_errors, language=language)
    assert not overflows(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_specialists_summary_page_is_accessible_on_a_phone(
    live_server, client, summary_data, phone, console_errors, language
):
    context, page = phone
    path = f"/clinic/patients/{summary_data['patient'].pk}/summary/"
    open_as(live_server, client, context, page, summary_data["clinician"], language, path)
    assert page.get_by_text("Et la vaccination ?").count() == 1
    assert page.get_by_text("sinusite").count() == 1  # the journal, shared with her
    check_page(page, console_errors, language=language)
    assert not overflows(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_period_errors_are_accessible(
    live_server, client, summary_data, phone, console_errors, language
):
    context, page = phone
    path = "/summary/?start=2000-01-01&end=2001-01-01"
    open_as(live_server, client, context, page, summary_data["patient"], language, path)
    assert page.locator(".error-summary").count() == 1
    check_page(page, console_errors, language=language)
