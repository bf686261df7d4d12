"""Shared fixtures: the catalogue, persona users and a treatment; service gates."""

import os
import shutil
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from patients.checklists import create_checklist, share_checklist
from patients.models import CareLink, ClinicianStatus
from tests.factories import ClinicianFactory, TreatmentFactory, UserFactory
from tests.support import login_verified
from therapies.loading import load_catalogue
from therapies.models import Drug

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(available: bool, reason: str) -> None:
    """Skip when a service is missing, unless REQUIRE_SERVICES=1: then fail loudly."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing strength is not under test here; PBKDF2 would make each persona cost ~0.3 s."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """A request to an /en/ page leaves English active in the thread (LocaleMiddleware does not
    switch back): each test starts in the default language, as a new request would."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache holds rate-limit counters: each test starts with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def frozen_now(request):
    """`@pytest.mark.now(datetime)` freezes the clock for the test *and* its fixtures."""
    marker = request.node.get_closest_marker("now")
    if marker is None:
        yield None
        return
    with time_machine.travel(marker.args[0], tick=False):
        yield marker.args[0]


@pytest.fixture
def catalogue(db):
    load_catalogue()


@pytest.fixture
def patient(catalogue):
    return UserFactory(email="camille@example.com", display_name="Camille")


@pytest.fixture
def other_patient(catalogue):
    return UserFactory(email="other@example.com", display_name="Other")


@pytest.fixture
def clinician(catalogue):
    """Approved, and linked to nobody until `care_link`."""
    return ClinicianFactory(email="dr@example.com", display_name="Dr House")


@pytest.fixture
def stranger_clinician(catalogue):
    """Approved, never linked to the patient."""
    return ClinicianFactory(email="stranger@example.com", display_name="Dr Who")


@pytest.fixture
def pending_clinician(catalogue):
    return ClinicianFactory(
        email="pending@example.com", display_name="Dr Pending", status=ClinicianStatus.PENDING
    )


@pytest.fixture
def care_link(patient, clinician):
    return CareLink.objects.create(patient=patient, clinician=clinician)


@pytest.fixture
def checklist(care_link, patient, clinician):
    """A shared checklist for secukinumab (anti-IL-17: the common items + the IBD history)."""
    now = timezone.now()
    checklist = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    share_checklist(checklist=checklist, actor=clinician, now=now)
    return checklist


@pytest.fixture
def treatment(patient):
    """Guselkumab from Monday 4 January 2027: doses on 4 Jan, 1 Feb, 29 Mar, 24 May 2027..."""
    return TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4))


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's, but verified by a second factor: the admin demands it (django-otp)."""
    return login_verified(client, admin_user)


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client
