"""Every page of a patient and of her (approved, linked) clinician, in French and in English,
passes axe-core's WCAG 2.x A/AA rules in Chromium, with no console error.

These pages are only opened (GET): one care team is built for the module, committed, behind a
live server of the module's own, and each persona signs in once (one browser context each, and
one page that each test takes to its address). At the module's end the database is flushed, as
after any live-server test, and the catalogue loaded again (tests/support/database.py).
"""

import pytest
from django.test import Client, override_settings

from patients.checklists import create_checklist, share_checklist
from patients.models import CareLink, ClinicianStatus
from tests.factories import ClinicianFactory, UserFactory
from tests.support.browser import (
    FAST_HASHING,
    LANGUAGES,
    ConsoleErrors,
    check_page,
    ids_of,
    login_with_session,
    make_care_data,
    make_care_team_data,
    module_live_server,
    new_context,
    remember_in_session,
    url_for,
)
from therapies.models import Drug

# django_db: without a test that asks for the database, pytest-django sets none up (a run of
# this module alone); the pages themselves read the rows `site` commits, through the live server.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# (test id, path). Paths may hold the ids of the care team's data ({treatment}, {checklist}, …).
PATIENT_PAGES = [
    ("dashboard", "/dashboard/"),
    ("start-treatment", "/treatments/new/"),
    ("history", "/treatments/{treatment}/history/"),
    ("stock", "/treatments/{treatment}/stock/"),
    ("log-injection", "/treatments/{treatment}/injections/new/"),
    ("edit-injection", "/injections/{injection}/edit/"),
    ("delete-injection", "/injections/{injection}/delete/"),
    ("profile", "/accounts/profile/"),
    ("password-change", "/accounts/password_change/"),
    ("password-change-done", "/accounts/password_change/done/"),
    ("stop-treatment", "/treatments/{treatment}/stop/"),
    ("delete-account", "/accounts/delete/"),
    ("export", "/my-data/"),
    ("reminder-settings", "/reminders/"),
    ("notifications", "/notifications/"),
    ("care-team", "/care/"),
    ("access-log", "/care/access/"),
    ("revoke-link", "/care/links/{link}/revoke/"),
    ("accept-invitation", "/invitations/accept/"),
    ("invitation", "/invitations/{invitation}/"),
    ("checklists", "/checklists/"),
    ("checklist", "/checklists/{checklist}/"),
    ("checklist-print", "/checklists/{checklist}/print/"),
    ("item-done", "/checklists/items/{item}/done/"),
    ("trips", "/trips/"),
    ("trip-new", "/trips/new/"),
    ("trip", "/trips/{trip}/"),
    ("trip-edit", "/trips/{trip}/edit/"),
    ("trip-delete", "/trips/{trip}/delete/"),
    ("letter-approved", "/trips/{trip}/letters/certificate/"),
    ("letter-draft", "/trips/{trip}/letters/prescription/"),
    ("security", "/accounts/security/"),
    ("two-step-on", "/accounts/security/two-step/on/"),
]
# Seen by Dr House, approved and linked to Camille.
CLINICIAN_PAGES = [
    ("clinic", "/clinic/"),
    ("clinic-patient", "/clinic/patients/{patient}/"),
    ("clinic-new-checklist", "/clinic/patients/{patient}/checklists/new/"),
    ("clinic-checklist", "/clinic/checklists/{checklist}/"),
    ("clinic-print", "/clinic/checklists/{checklist}/print/"),
    ("clinic-verify", "/clinic/items/{item}/verify/"),
    ("clinician-invitation", "/invitations/{clinician_invitation}/"),
    ("clinic-letter-approved", "/clinic/trips/{trip}/letters/certificate/"),
    ("clinic-letter-draft", "/clinic/trips/{trip}/letters/prescription/"),
    ("clinician-export", "/my-data/"),
    ("clinician-delete-account", "/accounts/delete/"),
    ("security", "/accounts/security/"),
]
SIGNED_IN_PAGES = [("patient", *p) for p in PATIENT_PAGES] + [
    ("clinician", *p) for p in CLINICIAN_PAGES
]


def care_team():
    """The people of tests/conftest.py's fixtures (patient, clinician, pending_clinician,
    checklist), with `make_care_team_data` on top: what each test of this module used to build."""
    from django.utils import timezone

    patient = UserFactory(email="camille@example.com", display_name="Camille")
    clinician = ClinicianFactory(email="dr@example.com", display_name="Dr House")
    pending_clinician = ClinicianFactory(
        email="pending@example.com", display_name="Dr Pending", status=ClinicianStatus.PENDING
    )
    CareLink.objects.create(patient=patient, clinician=clinician)
    now = timezone.now()
    checklist = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    share_checklist(checklist=checklist, actor=clinician, now=now)
    return make_care_team_data(make_care_data(patient), clinician, pending_clinician, checklist)


@pytest.fixture(scope="module")
def site(browser, django_db_setup, django_db_blocker):
    """(live server, care team data), committed for the module; flushed at its end."""
    with module_live_server(django_db_blocker) as server:
        with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHING):
            data = care_team()
        yield server, data


@pytest.fixture(scope="module")
def signed_in(browser, site):
    """A browser context per persona, signed in once (the session also holds the secrets that
    only the creating session may show: invitation codes, share links), and one page in it
    that each test takes to its address: the same renderer, whose compiled axe-core (the
    same source evaluated again) it keeps, rather than a new one for each test."""
    server, data = site
    contexts, pages = {}, {}
    for persona in ("patient", "clinician"):
        contexts[persona] = new_context(browser)
        client = Client()
        login_with_session(contexts[persona], client, server, data[persona])
        remember_in_session(client, data["secrets"])
        pages[persona] = contexts[persona].new_page()
    yield pages
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("persona", "name", "path"), SIGNED_IN_PAGES, ids=[f"{p[0]}-{p[1]}" for p in SIGNED_IN_PAGES]
)
def test_signed_in_page(site, signed_in, language, persona, name, path):
    """Every page of a patient and of her (approved, linked) clinician."""
    server, data = site
    page = signed_in[persona]
    console_errors = ConsoleErrors()
    console_errors.watch(page)
    try:
        target = url_for(server, language, path.format(**ids_of(data)))
        response = page.goto(target)
        assert response.status == 200, f"{page.url} answered {response.status}"
        assert page.url == target, f"{target} redirected to {page.url}"
        check_page(page, console_errors, language=language)
    finally:
        console_errors.unwatch(page)
