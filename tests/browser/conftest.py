"""Browser fixtures: Debian's Chromium driven by Playwright, one per session (per xdist worker),
a context per test; the helpers they use are in tests/support/browser.py.

See DESIGN.md, "Browser tests: a set-up known to work on these machines".
Never run `playwright install`.
"""

import os
from datetime import timedelta

import pytest

from tests.support.browser import (
    AXE_PATH,
    CHROMIUM_ARGS,
    ConsoleErrors,
    new_context,
)
from tests.support.services import chromium_path, need_service

# Playwright's sync API runs an event loop in the test thread: without this, the ORM calls the
# tests themselves make (fixtures, assertions on the database) raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    need_service(bool(executable) and os.access(executable, os.X_OK), "Chromium is not installed")
    need_service(AXE_PATH.is_file(), f"axe-core is missing ({AXE_PATH}): run npm ci")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        need_service(False, "the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
def real_content(catalogue):
    """The articles and glossary of content/, as `make run` loads them."""
    from content.loading import load_content

    load_content()


@pytest.fixture
def care_data(patient):
    """Camille on guselkumab for 8 weeks: dose 1 logged, dose 2 overdue, one device in stock.

    Enough to render every branch the patient pages have: history rows, overdue advice, the
    low-stock warning (and its unread notification), the plan table, an e-mail that failed.
    """
    from django.utils import timezone

    from patients import timeutils
    from patients.models import Channel, Kind, Reminder, State
    from patients.treatments import record_delivery
    from tests.factories import TreatmentFactory, log_dose

    today = timeutils.local_today(patient.zone)
    first = today - timedelta(weeks=8)
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=first)
    injection = log_dose(treatment, 1, first)
    record_delivery(treatment=treatment, received_on=first - timedelta(days=3), devices=2)
    Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=2,
        about_date=first + timedelta(weeks=4),
        kind=Kind.OVERDUE_DOSE,
        occurrence="dose-2:late-1",
        channel=Channel.EMAIL,
        state=State.FAILED,
        due_at=timezone.now(),
    )
    return {"patient": patient, "treatment": treatment, "injection": injection}


@pytest.fixture
def care_team_data(care_data, clinician, pending_clinician, checklist, client):
    """`care_data` plus Camille's care team: Dr House linked, a shared secukinumab checklist with
    items done, verified (with a result) and still to do, history, accesses, invitations from both
    sides and a read-only share link. `secrets` are what only the creating session may show."""
    from django.utils import timezone

    from patients import timeutils
    from patients.care import create_invitation, record_access
    from patients.checklists import create_share_link, mark_done, verify_item
    from patients.letters import approve_letter
    from patients.models import AccessAction, CareLink, ChecklistItem
    from patients.travel import plan_trip

    patient = care_data["patient"]
    now = timezone.now()
    today = timeutils.local_today(patient.zone)
    items = {item.key: item for item in ChecklistItem.objects.filter(checklist=checklist)}
    mark_done(
        item=items["chest_xray"], done_on=today, note="Hôpital Saint-Louis", actor=patient, now=now
    )
    mark_done(item=items["hiv_test"], done_on=today, note="", actor=patient, now=now)
    verify_item(item=items["hiv_test"], done_on=today, result="normal", actor=clinician, now=now)
    verify_item(item=items["medical_history"], done_on=today, result="", actor=clinician, now=now)
    for action in (AccessAction.VIEWED_RECORD, AccessAction.VIEWED_CHECKLIST):
        record_access(patient=patient, actor=clinician, action=action, now=now)
    record_access(patient=patient, actor=None, action=AccessAction.OPENED_SHARE_LINK, now=now)
    invitation, code = create_invitation(by=patient, now=now)
    clinician_invitation, clinician_code = create_invitation(by=clinician, now=now)
    share_link, token = create_share_link(checklist=checklist, days=7, actor=patient, now=now)
    # A trip around dose 3 (in four weeks), its certificate approved, the prescription a draft.
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=today + timedelta(days=20),
        returns_on=today + timedelta(days=40),
        traveller_name="Camille Martin",
        passport_number="19AB12345",
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    return {
        **care_data,
        "clinician": clinician,
        "pending_clinician": pending_clinician,
        "link": CareLink.objects.get(patient=patient, clinician=clinician),
        "checklist": checklist,
        "item": items["blood_tests"],  # the patient's to do, with a result to record
        "invitation": invitation,
        "clinician_invitation": clinician_invitation,
        "token": token,
        "trip": trip,
        "letter_token": letter.token,
        "secrets": {
            "invitation_codes": {
                str(invitation.pk): code,
                str(clinician_invitation.pk): clinician_code,
            },
            "share_links": {str(share_link.pk): token},
        },
    }
