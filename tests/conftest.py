"""Shared fixtures: the catalogue, persona users and a treatment; the access matrix's world and
walk; service gates. The machinery behind them lives in tests/support/."""

import shutil
import tempfile
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation

from patients.checklists import create_checklist, share_checklist
from patients.models import CareLink, ClinicianStatus
from tests.factories import ClinicianFactory, TreatmentFactory, UserFactory
from tests.support import database
from tests.support.auth import login_verified
from therapies.models import Drug

FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    """The tests never read collected static files (the live server serves them from the
    finders): STATIC_ROOT is an empty folder of the run's own, not var/static. Once `make bench`
    (or a deployment rehearsal) had collected 1,600 files there, WhiteNoise read all of them
    again for every new test client (its middleware is set up per client): 0.18 s a request,
    nine tenths of the walk of the access matrix, and a suite three times slower than on a
    fresh clone."""
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="static-root-")


def pytest_unconfigure(config):
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: `-p no:xdist` has no such hook
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (the Makefile's): the walk of the access matrix, the Celery worker
    tests and each browser module on one worker each (tests/support/scheduling.py)."""
    if config.getvalue("dist") == "loadgroup":
        from tests.support.scheduling import GroupScheduling

        return GroupScheduling(config, log)
    return None


# --- The catalogue: loaded once per test database -----------------------------------------------


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, then the therapy catalogue: every test starts with it, as the app does."""
    with django_db_blocker.unblock():
        database.load()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (live_server, transaction=True) ends with a flush that empties the
    catalogue too: loaded again before the next test that runs in a transaction."""
    try:
        return (yield)
    finally:
        last = nextitem is None  # the test database is gone by now
        if not last and database.is_transactional(item) and not database.is_transactional(nextitem):
            database.restore(item.config)


@pytest.fixture
def catalogue(request, db):
    """The therapy catalogue, loaded once per test database (`django_db_setup`); a
    transactional test, whose database a previous one may have flushed, loads it if missing."""
    if database.is_transactional(request.node):
        database.ensure()


@pytest.fixture
def real_content(catalogue):
    """The articles and glossary of content/, as `make run` loads them (loaded once; after that
    the same rows inserted again: tests/support/database.py)."""
    database.content()


@pytest.fixture
def no_catalogue(db):
    """For the tests of the loader itself: the catalogue's tables empty (rolled back after)."""
    database.empty()


# --- The access matrix: its world built once per module, its walk once per run ----------------


# The fixtures that make the people of the matrix's world (same e-mail addresses).
PEOPLE = {
    "patient",
    "other_patient",
    "clinician",
    "stranger_clinician",
    "pending_clinician",
    "care_link",
    "checklist",
    "treatment",
    "patient_client",
}


@pytest.fixture(scope="module")
def world(request, django_db_setup, django_db_blocker):
    """The access matrix's world (tests/support/matrix.py), built once for the module in a
    transaction rolled back at its end; each test runs in a savepoint inside it (pytest-django's
    `db`), and each request the test sends in a savepoint of its own. The tests of the module
    that run after the first one using it see its people in the database: none of them may
    make the same people again (the fixtures below)."""
    from tests.support.matrix import build_world

    database.check_no_later_test_makes(request, "world", PEOPLE)
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHING),
        transaction.atomic(),
    ):
        world = build_world()
        yield world
        transaction.set_rollback(True)


@pytest.fixture(scope="session")
def walk(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """Every URL of the access matrix, as every persona: sent once per run, answers recorded
    (tests/support/walk.py), read by the matrix, no-store, CSP and query-string checks. In
    parts, each recorded when first read; under xdist once for all the workers, in the run's
    shared temporary folder (the parent of each worker's own)."""
    from tests.support.walk import Walk, part_loader

    worker = hasattr(request.config, "workerinput")
    shared = tmp_path_factory.getbasetemp().parent / "matrix-walk" if worker else None
    return Walk(load=part_loader(shared, django_db_blocker.unblock))


# --- Every test ---------------------------------------------------------------------------------


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
