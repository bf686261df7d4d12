"""Journeys end to end in Chromium: sign up, start a treatment, log an injection; and a
clinician and a patient building a care team around a pre-treatment checklist.

Each runs twice: with JavaScript (htmx opens forms in place and swaps what changed) and without
(plain links and form posts, redirects).
"""

import os
import re
import zoneinfo
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import formats, translation

from patients import timeutils
from patients.models import CareLink, Checklist, Injection, Treatment, User
from tests.factories import TreatmentFactory, UserFactory
from tests.support.browser import (
    LANGUAGES,
    check_page,
    check_page_without_javascript,
    login_through_form,
    login_with_session,
    url_for,
)
from tests.support.signup import confirmation_path, tasks_inline
from therapies import dosing
from therapies.models import Drug, Regimen

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under REQUIRE_SERVICES=1)
    expect = None

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# Every run writes var/screenshots/ (ignored by git); UPDATE_SCREENSHOT=1 refreshes the README's.
SCREENSHOT = (
    ROOT / "docs" / "screenshot-dashboard.png"
    if os.environ.get("UPDATE_SCREENSHOT") == "1"
    else ROOT / "var" / "screenshots" / "dashboard.png"
)
PASSWORD = "Trefle-violet-sous-la-pluie"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def checker(console_errors, language: str, *, javascript: bool):
    """The full page check for this journey's pages (check_page needs JavaScript in the page)."""
    check = check_page if javascript else check_page_without_javascript

    def run(page, **options) -> None:
        check(page, console_errors, language=language, **options)

    return run


def date_in(language: str, day) -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


def sign_up(page, live_server, email: str, language: str, check) -> None:
    page.goto(url_for(live_server, language, "/accounts/signup/"))
    check(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Camille")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    assert page.input_value("select[name=time_zone]") == "Europe/Paris"
    page.check("input[name=consent]")
    with tasks_inline():  # the worker's part: the e-mail with the link
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r"/accounts/signup/sent/$"))
    with translation.override(language):
        sent = translation.gettext("Check your e-mail to continue")
    expect(page.locator("h1")).to_contain_text(sent)
    page.goto(live_server.url + confirmation_path(email))
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/treatments/new/$"))
    check(page)
    user = User.objects.get(email=email)
    assert user.is_patient
    assert user.health_data_consent_at is not None


def start_guselkumab(page, first_dose_on) -> Regimen:
    regimen = Regimen.objects.get(drug__inn="guselkumab", is_default=True)
    # The select groups the regimens under their medicine.
    group = page.locator(
        "select[name=regimen] optgroup", has=page.locator(f"option[value='{regimen.pk}']")
    )
    assert "guselkumab" in group.get_attribute("label")
    page.select_option("select[name=regimen]", value=str(regimen.pk))
    page.select_option("select[name=condition]", value="plaque_psoriasis_adult")
    page.select_option("select[name=presentation]", value="guselkumab:pen-100mg")
    page.fill("input[name=first_dose_on]", first_dose_on.isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/$"))
    return regimen


def planned(regimen: Regimen, first_dose_on, number: int):
    doses = dosing.planned_doses(regimen.spec(), first_dose_on)
    return next(d for d in doses if d.number == number)


def first_plan_row(page):
    return page.locator("table.plan tbody tr").first.locator("td").first


def journey_until_dashboard(page, live_server, email, language, check):
    """Sign up and start guselkumab 25 days ago: dose 1 is late, dose 2 falls in 3 days."""
    today = timeutils.local_today(PARIS)
    first_dose_on = today - timedelta(days=25)
    sign_up(page, live_server, email, language, check)
    regimen = start_guselkumab(page, first_dose_on)
    dose1, dose2 = planned(regimen, first_dose_on, 1), planned(regimen, first_dose_on, 2)
    assert dose1.date < today < dose2.date
    next_dose = page.locator(".treatment-card .next-dose-date")
    expect(next_dose).to_contain_text(date_in(language, dose1.date))
    check(page)
    expect(first_plan_row(page)).to_have_text(re.compile(r"^\s*1\b"))
    treatment = Treatment.objects.get(patient__email=email)
    assert treatment.first_dose_on == first_dose_on
    assert not Injection.objects.filter(treatment=treatment).exists()
    return treatment, dose1, dose2


def assert_next_is_dose_2(page, dose1, dose2, language) -> None:
    next_dose = page.locator(".treatment-card .next-dose-date")
    expect(next_dose).to_contain_text(date_in(language, dose2.date))
    text = next_dose.inner_text()
    assert date_in(language, dose1.date) not in text
    assert re.search(r"\b2\b", text.replace(date_in(language, dose2.date), "")), text
    expect(first_plan_row(page)).to_have_text(re.compile(r"^\s*2\b"))
    expect(page.locator(".treatment-card table.history tbody tr")).to_have_count(1)


def assert_defaults_filled(form) -> None:
    """Two clicks must be enough: the browser shows today's date and a time, dose 1 chosen."""
    today = timeutils.local_today(PARIS).isoformat()
    date_input = form.locator("input[name=taken_date]")
    assert date_input.input_value() == today, (
        f"the date field shows {date_input.input_value()!r}, not {today!r}: the server wrote "
        f"value={date_input.get_attribute('value')!r}, which an <input type=date> cannot read "
        "(it needs YYYY-MM-DD), so the required field is empty and the form cannot be sent"
    )
    assert re.fullmatch(r"\d\d:\d\d", form.locator("input[name=taken_time]").input_value())
    expect(form.locator("select[name=dose_number]")).to_have_value("1")
    expect(form.locator("input[name=site]:checked")).to_have_count(1)
    expect(form.locator("input[name=reaction]:checked")).to_have_value("none")


def assert_logged_once(treatment) -> None:
    injections = list(Injection.objects.filter(treatment=treatment))
    assert [i.dose_number for i in injections] == [1]
    assert injections[0].taken_on == timeutils.local_today(PARIS)


def confirm_the_late_dose(page, dose1, language, check) -> None:
    """Dose 1, logged 25 days after its planned day (more than half an interval), asks to confirm
    with the date written out (issue 18, item 4); the patient keeps it."""
    confirm = page.locator("form.dose-confirm")
    expect(confirm).to_be_visible()
    with translation.override(language):
        planned_in_words = formats.date_format(dose1.date, "l j F Y")
    expect(confirm).to_contain_text(planned_in_words)
    check(page)
    confirm.locator("button[name=confirm]").click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_with_javascript(live_server, catalogue, page, console_errors, language):
    check = checker(console_errors, language, javascript=True)
    treatment, dose1, dose2 = journey_until_dashboard(
        page, live_server, "camille.js@example.com", language, check
    )
    dashboard = page.url
    # A full page load would wipe this marker; htmx swaps keep it.
    page.evaluate("window.__noReload = true")

    page.locator(f"#treatment-{treatment.pk} a[href*='/injections/new/']").click()
    form = page.locator(f"#treatment-{treatment.pk} form.injection-form")
    expect(form).to_be_visible()
    assert_defaults_filled(form)
    assert page.url == dashboard
    check_page(page, console_errors, language=language)

    with page.expect_response(lambda r: "/injections/new/" in r.url and r.request.method == "POST"):
        form.locator("button[type=submit]").click()
    with page.expect_response(lambda r: "/injections/new/" in r.url and r.request.method == "POST"):
        confirm_the_late_dose(page, dose1, language, check)
    expect(form).to_have_count(0)
    card = page.locator(f"#treatment-{treatment.pk}")
    expect(card.locator("[role=status]")).to_contain_text("1")
    assert_next_is_dose_2(page, dose1, dose2, language)
    assert page.url == dashboard, "the htmx post must not change the address"
    assert page.evaluate("window.__noReload === true"), "the page was reloaded instead of swapped"
    assert_logged_once(treatment)
    check_page(page, console_errors, language=language)

    # The README shows the dashboard as a patient sees it on their next visit (in French).
    page.reload()
    assert_next_is_dose_2(page, dose1, dose2, language)
    if language == "fr":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_without_javascript(live_server, catalogue, nojs_context, console_errors, language):
    page = nojs_context.new_page()
    console_errors.watch(page)
    check = checker(console_errors, language, javascript=False)
    treatment, dose1, dose2 = journey_until_dashboard(
        page, live_server, "camille.nojs@example.com", language, check
    )

    page.locator(f"#treatment-{treatment.pk} a[href*='/injections/new/']").click()
    page.wait_for_url(re.compile(rf"/treatments/{treatment.pk}/injections/new/$"))
    form = page.locator("main form.injection-form")
    assert_defaults_filled(form)
    check(page)

    form.locator("button[type=submit]").click()
    confirm_the_late_dose(page, dose1, language, check)
    page.wait_for_url(re.compile(r"/dashboard/$"))
    expect(page.locator("main .messages")).to_contain_text("1")
    assert_next_is_dose_2(page, dose1, dose2, language)
    assert_logged_once(treatment)
    check(page)


LANGUAGES = ["fr", "en"]
FORMS_WITH_DATES = [
    ("start-treatment", "/treatments/new/"),
    ("stock", "/treatments/{treatment}/stock/"),
    ("log-injection", "/treatments/{treatment}/injections/new/"),
    ("edit-injection", "/injections/{injection}/edit/"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "path"), FORMS_WITH_DATES, ids=[f[0] for f in FORMS_WITH_DATES])
def test_prefilled_dates_and_times_reach_the_browser(
    live_server, client, care_data, context, page, console_errors, language, name, path
):
    """A pre-filled <input type=date|time> must hold a value the browser can read (ISO form).

    Otherwise Chromium shows an empty field and its required check blocks the form.
    """
    login_with_session(context, client, live_server, care_data["patient"])
    path = path.format(treatment=care_data["treatment"].pk, injection=care_data["injection"].pk)
    prefix = "" if language == "fr" else f"/{language}"
    page.goto(f"{live_server.url}{prefix}{path}")
    unreadable = page.eval_on_selector_all(
        "main input[type=date], main input[type=time]",
        """inputs => inputs
            .filter((input) => input.getAttribute("value") && !input.value)
            .map((input) => `${input.name}: value="${input.getAttribute("value")}"`)""",
    )
    assert not unreadable, (
        f"{page.url}: the browser cannot read these pre-filled values (it needs YYYY-MM-DD "
        f"or HH:MM) and shows empty fields: {unreadable}"
    )
    check_page(page, console_errors, language=language)


# --- The care team: a clinician and a patient, each in their own browser -------------------------

# The clinician's last request, after the patient ended the link, answers 404: expected.
NOT_FOUND_CONSOLE = "the server responded with a status of 404"


@pytest.fixture
def open_browser(browser, console_errors):
    """A new browser (context) per person, with or without JavaScript; closed afterwards."""
    from tests.support.browser import new_context

    contexts = []

    def open_(*, javascript: bool):
        context = new_context(browser, java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        console_errors.watch(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def submit(page, form, *, javascript_swaps: bool) -> None:
    """Click the form's button; without an htmx swap, wait for the page it redirects to."""
    button = form.locator("button[type=submit]")
    if javascript_swaps:
        button.click()
    else:
        with page.expect_navigation():
            button.click()


def focused_id(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


# Both ways of working and both languages, in two runs (each page of the journey fully checked).
BOTH_WAYS = pytest.mark.parametrize(
    ("javascript", "language"),
    [(True, "fr"), (False, "en")],
    ids=["with-javascript-fr", "without-javascript-en"],
)


@BOTH_WAYS
def test_care_team_journey(
    live_server, patient, clinician, open_browser, console_errors, javascript, language
):
    """Invitation → link → checklist shared → item done by the patient → verified by the
    clinician → link ended by the patient → the clinician's next request is a 404."""
    doctor = open_browser(javascript=javascript)
    camille = open_browser(javascript=javascript)
    login_through_form(doctor, live_server, clinician.email)
    login_through_form(camille, live_server, patient.email)
    base = url_for(live_server, language, "")

    check = checker(console_errors, language, javascript=javascript)

    # The clinician creates a code; only this page shows it.
    doctor.goto(f"{base}/clinic/")
    check(doctor)
    with doctor.expect_navigation():
        doctor.click("main form[action$='/invitations/new/'] button[type=submit]")
    assert re.search(r"/invitations/\d+/$", doctor.url), doctor.url
    check(doctor)
    code = doctor.locator("main .invitation-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code

    # The patient enters it under her care team.
    camille.goto(f"{base}/care/")
    check(camille)
    camille.fill("main input[name=code]", code.lower())  # typed as read, case does not matter
    with camille.expect_navigation():
        camille.click("main form[action$='/invitations/accept/'] button[type=submit]")
    assert camille.url.endswith("/care/")
    expect(camille.locator("main .messages")).to_contain_text(clinician.display_name)
    expect(camille.locator("main table")).to_contain_text(clinician.display_name)
    assert CareLink.objects.active().filter(patient=patient, clinician=clinician).exists()
    check(camille)

    # The clinician finds her in the list and prepares a checklist from her page.
    doctor.goto(f"{base}/clinic/")
    with doctor.expect_navigation():
        doctor.click(f"#patients a[href$='/clinic/patients/{patient.pk}/']")
    check(doctor)
    with doctor.expect_navigation():
        doctor.click("main a[href$='/checklists/new/']")
    check(doctor)
    secukinumab = Drug.objects.get(inn="secukinumab")
    doctor.select_option("main select[name=drug]", value=str(secukinumab.pk))
    with doctor.expect_navigation():
        doctor.click("main form button[type=submit]")
    checklist = Checklist.objects.get(patient=patient)
    assert doctor.url.endswith(f"/clinic/checklists/{checklist.pk}/")
    assert checklist.shared_at is None
    check(doctor)
    with doctor.expect_navigation():
        doctor.click("main form[action$='/share/'] button[type=submit]")
    checklist.refresh_from_db()
    assert checklist.shared_at is not None
    item = checklist.items.get(key="blood_tests")

    # The patient marks the blood tests done.
    camille.goto(f"{base}/checklists/")
    check(camille)
    with camille.expect_navigation():
        camille.click(f"main a[href$='/checklists/{checklist.pk}/']")
    check(camille)
    if javascript:
        camille.evaluate("window.__noReload = true")
    card = camille.locator(f"#item-{item.pk}")
    form = card.locator("form[action$='/done/']")
    assert (
        form.locator("input[type=date]").input_value() == timeutils.local_today(PARIS).isoformat()
    )
    form.locator("input[name$='done_note']").fill("Laboratoire du centre")
    submit(camille, form, javascript_swaps=javascript)
    expect(card).to_have_class(re.compile(r"\bdone\b"))
    expect(card.locator("[role=status]")).to_contain_text("Laboratoire du centre")
    if javascript:
        assert camille.url.endswith(f"/checklists/{checklist.pk}/"), "htmx must not navigate"
        assert camille.evaluate("window.__noReload === true"), "reloaded instead of swapped"
        camille.wait_for_function(
            "(id) => document.activeElement && document.activeElement.id === id",
            arg=f"item-title-{item.pk}",
        )
    else:
        # back at the top of the checklist, where the open items now come first
        assert camille.url.endswith(f"/checklists/{checklist.pk}/"), camille.url
        expect(camille.locator("main .messages")).to_be_visible()
    item.refresh_from_db()
    assert item.is_done and item.done_by == patient and item.done_note == "Laboratoire du centre"
    check(camille)

    # The clinician verifies it, with its result.
    doctor.goto(f"{base}/clinic/checklists/{checklist.pk}/")
    if javascript:
        doctor.evaluate("window.__noReload = true")
    card = doctor.locator(f"#item-{item.pk}")
    check(doctor)
    card.locator("details.checklist-row__actions > summary").click()  # actions on demand
    form = card.locator("form[action$='/verify/']")
    form.locator("select[name$='result']").select_option("normal")
    submit(doctor, form, javascript_swaps=javascript)
    expect(card.locator("form[action$='/unverify/']")).to_have_count(1)
    if javascript:
        assert doctor.evaluate("window.__noReload === true"), "reloaded instead of swapped"
        doctor.wait_for_function(
            "(id) => document.activeElement && document.activeElement.id === id",
            arg=f"item-title-{item.pk}",
        )
    item.refresh_from_db()
    assert item.is_verified and item.result == "normal" and item.verified_by == clinician
    check(doctor)
    camille.reload()
    expect(camille.locator(f"#item-{item.pk} form")).to_have_count(0)  # hers no more to change
    check(camille)

    # The patient ends the link; the clinician's next request answers 404.
    camille.goto(f"{base}/care/")
    with camille.expect_navigation():
        camille.click("main a[href*='/care/links/']")
    check(camille)
    with camille.expect_navigation():
        camille.click("main form button[type=submit]")
    assert camille.url.endswith("/care/")
    check(camille)
    assert not CareLink.objects.active().filter(patient=patient, clinician=clinician).exists()
    response = doctor.goto(f"{base}/clinic/checklists/{checklist.pk}/")
    assert response.status == 404
    response = doctor.goto(f"{base}/clinic/patients/{patient.pk}/")
    assert response.status == 404
    doctor.goto(f"{base}/clinic/")
    expect(doctor.locator("#patients tbody tr")).to_have_count(0)
    check(doctor, ignore=(NOT_FOUND_CONSOLE,))


@BOTH_WAYS
def test_the_clinician_filters_the_patient_list(
    live_server, patient, clinician, open_browser, console_errors, javascript, language
):
    """With JavaScript the table follows the search box as one types (the address follows too);
    without, the Filter button submits the same form."""
    today = timeutils.local_today(PARIS)
    late = UserFactory(email="bastien@example.com", display_name="Bastien")
    TreatmentFactory(patient=late, drug_inn="guselkumab", first_dose_on=today - timedelta(weeks=9))
    other = UserFactory(email="chloe@example.com", display_name="Chloé")
    for person in (patient, late, other):
        CareLink.objects.create(patient=person, clinician=clinician)
    doctor = open_browser(javascript=javascript)
    login_through_form(doctor, live_server, clinician.email)
    base = url_for(live_server, language, "")
    doctor.goto(f"{base}/clinic/")
    rows = doctor.locator("#patients tbody tr")
    expect(rows).to_have_count(3)
    checker(console_errors, language, javascript=javascript)(doctor)

    if javascript:
        doctor.evaluate("window.__noReload = true")
        doctor.locator("#id_q").press_sequentially("bas", delay=30)
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Bastien")
        doctor.wait_for_url(re.compile(r"/clinic/\?q=bas"))
        doctor.locator("#id_q").fill("")
        doctor.select_option("#id_show", "overdue")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Bastien")
        assert doctor.evaluate("window.__noReload === true"), "reloaded instead of swapped"
    else:
        doctor.fill("#id_q", "bas")
        with doctor.expect_navigation():
            doctor.click("main form[role=search] button[type=submit]")
        assert "q=bas" in doctor.url
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Bastien")
        doctor.fill("#id_q", "")
        doctor.select_option("#id_show", "overdue")
        with doctor.expect_navigation():
            doctor.click("main form[role=search] button[type=submit]")
        expect(rows).to_have_count(1)
    checker(console_errors, language, javascript=javascript)(doctor)
