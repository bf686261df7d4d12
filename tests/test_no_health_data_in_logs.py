"""No health data in logs, error reports or Celery messages.

A whole journey of a new patient runs with every logger of the project, Django and Celery
recorded at DEBUG: sign-up through the form, a treatment of a medicine with a distinctive brand,
an injection with a distinctive note, stock, a trip with a distinctive diagnosis and destination,
the letters' PDF, the data export, her clinician's views, reminders planned, dispatched and
delivered by the real task code, a form error and a 404. None of what she typed about her
health, nor her medicine, dose or destination, may appear in any log record, and every Celery
task is sent ids only. The loggers settings.LOGGING pins (WeasyPrint's and fontTools', errors
only; django.template, whose DEBUG records dump a template's whole context) stay at their
levels: that choice is part of what is tested.

Then what Django would put in an error report (the admins' e-mail, the 500 page): no POST value
and no local variable, whatever the view.
"""

import json
import logging
import sys
from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from celery.app.task import Task
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from patients import tasks
from patients.models import CareLink, Reminder, Treatment, Trip, User
from tests.factories import ClinicianFactory
from tests.support import log_in_with_code
from tests.support.signup import confirmation_path
from therapies.models import Regimen

pytestmark = pytest.mark.django_db

NOTE = "Bleu au ventre quuxnote, un peu de fièvre"
LOT = "LOTZEBRA77"
DIAGNOSIS = "Hidradénite zorblax sévère"
PASSPORT = "PX9911QQ"
BRAND = "Taltz"  # ixekizumab
HEALTH_DATA = (
    "quuxnote",
    "fièvre",
    LOT,
    "zorblax",
    "Hidradénite",
    PASSPORT,
    BRAND,
    "ixekizumab",
    "160 mg",
    "80 mg",
    "Iceland",
    "Islande",
    "Reykjavik",
)
LOGGERS = (
    "",  # the root
    "django",
    "django.request",
    "django.security",
    "django.template",
    "celery",
    "celery.app.trace",
    "celery.task",
    "celery.worker",
    "kombu",
    "patients",
    "patients.tasks",
    "patients.reminders",
    "config",
)
PASSWORD = "Une-longue-phrase-de-passe"


class Recorder(logging.Handler):
    """Keeps every record once, whichever logger it reached first."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: dict[int, logging.LogRecord] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.records[id(record)] = record


@pytest.fixture
def every_log_record(caplog):
    """Every logger above at DEBUG, each with a recorder of its own (a logger that does not
    propagate is caught too), and pytest's caplog on the root."""
    recorder = Recorder()
    caplog.set_level(logging.DEBUG)
    saved = []
    pinned = set(settings.LOGGING["loggers"])
    for name in (*LOGGERS, *pinned):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        if name not in pinned:
            logger.setLevel(logging.DEBUG)
        logger.addHandler(recorder)
    yield recorder
    for logger, level in saved:
        logger.removeHandler(recorder)
        logger.setLevel(level)


def text_of(record: logging.LogRecord) -> str:
    """All a handler could write of a record: message, arguments, exception, stack, extras."""
    formatted = logging.Formatter("%(message)s").format(record)  # adds exc_text, stack_info
    return "\n".join([formatted, repr(record.args), repr(vars(record))])


@pytest.fixture
def sent_tasks():
    """Every task sent to the broker (apply_async, delay, delay_on_commit), not sent."""
    calls: list[tuple[str, tuple, dict]] = []

    def record(task, args=None, kwargs=None, **options):
        calls.append((task.name, tuple(args or ()), dict(kwargs or {})))

    with mock.patch.object(Task, "apply_async", autospec=True, side_effect=record):
        yield calls


def only_ids(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, list | tuple):
        return all(only_ids(item) for item in value)
    return False


def run_beat_tick(sent_tasks, capture_on_commit) -> list:
    """What beat's minute does: the scan task, then each send task it enqueued, both through
    Celery's own tracing (Task.apply) so Celery logs what it logs."""
    before = len(sent_tasks)
    with capture_on_commit(execute=True):
        scan = tasks.queue_due_reminders.apply()
    results = [scan]
    for name, args, kwargs in sent_tasks[before:]:
        assert name == "patients.tasks.send_reminders"
        results.append(tasks.send_reminders.apply(args=args, kwargs=kwargs))
    return results


def test_a_whole_journey_logs_no_health_data_and_sends_only_ids(
    catalogue, every_log_record, sent_tasks, django_capture_on_commit_callbacks
):
    patient_client = Client()
    with time_machine.travel(datetime(2027, 1, 4, 10, tzinfo=UTC), tick=False):
        # Sign up through the form, the e-mailed link (its task run through Celery's tracing)
        # and the password; start ixekizumab (Taltz), 160 mg then 80 mg.
        with django_capture_on_commit_callbacks(execute=True):
            response = patient_client.post(
                "/accounts/signup/",
                {
                    "email": "louise@example.com",
                    "display_name": "Louise",
                    "time_zone": "Europe/Paris",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                    "consent": "on",
                },
            )
        assert response.status_code == 302
        ((name, args, kwargs),) = sent_tasks
        assert name == "patients.tasks.send_signup_mail"
        tasks.send_signup_mail.apply(args=args, kwargs=kwargs)
        response = patient_client.post(
            confirmation_path("louise@example.com"), {"password": PASSWORD}
        )
        assert response.status_code == 302
        patient = User.objects.get(email="louise@example.com")
        regimen = Regimen.objects.get(drug__inn="ixekizumab", is_default=True)
        response = patient_client.post(
            "/treatments/new/",
            {
                "regimen": regimen.pk,
                "condition": "plaque_psoriasis_adult",
                "presentation": "ixekizumab:pen-80mg",
                "first_dose_on": "2027-01-04",
            },
        )
        assert response.status_code == 302
        treatment = Treatment.objects.get(patient=patient)

        # A form error first (a dose in the future), with the note typed: nothing is lost.
        injection_url = reverse("patients:log_injection", args=[treatment.pk])
        dose = {
            "taken_date": "2027-01-04",
            "taken_time": "09:00",
            "dose_number": 1,
            "site": "thigh_left",
            "reaction": "redness",
            "lot_number": LOT,
            "note": NOTE,
        }
        response = patient_client.post(injection_url, {**dose, "taken_date": "2027-03-01"})
        assert response.status_code == 200 and NOTE in response.content.decode()
        response = patient_client.post(injection_url, dose)
        assert response.status_code == 302
        stock_url = reverse("patients:add_stock", args=[treatment.pk])
        response = patient_client.post(stock_url, {"received_on": "2027-01-04", "devices": 3})
        assert response.status_code == 302

        # A trip to Iceland around dose 3, with a diagnosis for the letters; its PDF.
        response = patient_client.post(
            "/trips/new/",
            {
                "destination": "IS",
                "destination_time_zone": "Atlantic/Reykjavik",
                "departs_on": "2027-01-25",
                "returns_on": "2027-02-05",
                "means": "plane",
                "spare_doses": 1,
                "traveller_name": "Louise Martin",
                "date_of_birth": "1990-04-02",
                "passport_number": PASSPORT,
                "diagnosis": DIAGNOSIS,
            },
        )
        assert response.status_code == 302
        trip = Trip.objects.get(patient=patient)
        letter_pdf = patient_client.get(
            reverse("patients:letter_pdf", args=[trip.pk, "certificate"])
        )
        assert letter_pdf.status_code == 200

        # Her clinician: the list, her record, a letter approved and printed.
        clinician = ClinicianFactory(email="dr.lune@example.com", display_name="Dr Lune")
        CareLink.objects.create(patient=patient, clinician=clinician)
        clinician_client = Client()  # both log-in steps, through the forms
        assert log_in_with_code(clinician_client, clinician).status_code == 302
        assert clinician_client.get("/clinic/").status_code == 200
        assert clinician_client.get(f"/clinic/patients/{patient.pk}/").status_code == 200
        approve = reverse("patients:clinic_approve_letter", args=[trip.pk, "certificate"])
        assert clinician_client.post(approve).status_code == 302
        pdf = reverse("patients:clinic_letter_pdf", args=[trip.pk, "certificate"])
        assert clinician_client.get(pdf).status_code == 200

        # Her data, taken away.
        export = patient_client.get(reverse("patients:export_json"))
        assert DIAGNOSIS in json.loads(export.content)["trips"][0]["diagnosis"]
        assert patient_client.get(reverse("patients:export_pdf")).status_code == 200

        # A 404: someone else's trip, as far as she knows.
        assert patient_client.get(f"/trips/{trip.pk + 1000}/").status_code == 404

    # Reminders, as beat and the worker would deliver them: the day before dose 2, the
    # low stock, a week before the trip, the day after a missed dose 2.
    results = []
    for moment in (
        datetime(2027, 1, 16, 8, 1, tzinfo=UTC),
        datetime(2027, 1, 17, 8, 1, tzinfo=UTC),
        datetime(2027, 1, 18, 8, 1, tzinfo=UTC),
        datetime(2027, 1, 19, 8, 1, tzinfo=UTC),
    ):
        with time_machine.travel(moment, tick=False):
            results += run_beat_tick(sent_tasks, django_capture_on_commit_callbacks)
    kinds = set(
        Reminder.objects.filter(patient=patient, sent_at__isnull=False).values_list(
            "kind", flat=True
        )
    )
    assert {"upcoming_dose", "trip_soon", "overdue_dose"} <= kinds, kinds
    assert len(mail.outbox) >= 3

    # Celery: ids in, nothing out.
    assert sent_tasks, "no task was sent: the check below would be vacuous"
    for name, args, kwargs in sent_tasks:
        assert only_ids(list(args)) and only_ids(list(kwargs.values())), (name, args, kwargs)
    assert all(result.successful() and result.result is None for result in results)

    # The logs: something was logged (requests, reminders, Celery), none of it health data.
    records = list(every_log_record.records.values())
    messages = "\n".join(record.getMessage() for record in records)
    assert " 404 " in messages and "reminders" in messages and "succeeded" in messages
    leaks = [
        (record.name, marker, record.getMessage())
        for record in records
        for marker in HEALTH_DATA
        if marker.lower() in text_of(record).lower()
    ]
    assert leaks == [], "\n".join(f"{n}: {m}: {t[:150]}" for n, m, t in leaks)


# --- Error reports -------------------------------------------------------------------------------


@pytest.mark.now(datetime(2027, 1, 4, 10, tzinfo=UTC))
def test_an_error_report_shows_no_posted_value(
    patient_client, treatment, settings, every_log_record
):
    """A view fails while a patient saves a note: the admins' e-mail and the log name the path,
    the fields and the error, never what she typed."""
    settings.ADMINS = ["ops@example.com"]
    patient_client.raise_request_exception = False
    mail.outbox.clear()
    url = reverse("patients:log_injection", args=[treatment.pk])
    with mock.patch("patients.views.injections.record_injection", side_effect=RuntimeError):
        response = patient_client.post(
            url,
            {
                "taken_date": "2027-01-04",
                "taken_time": "09:00",
                "dose_number": 1,
                "site": "thigh_left",
                "reaction": "none",
                "lot_number": LOT,
                "note": NOTE,
            },
        )
    assert response.status_code == 500
    [report] = [m for m in mail.outbox if "ops@example.com" in m.to]
    body = report.body
    assert "RuntimeError" in body and "POST:" in body  # the report is there, and useful
    assert "note = '********************'" in body
    assert "quuxnote" not in body and LOT not in body
    for _, html_type in getattr(report, "alternatives", []):
        assert "quuxnote" not in html_type
    logged = [text_of(r) for r in every_log_record.records.values() if r.name == "django.request"]
    assert logged and not [text for text in logged if "quuxnote" in text or LOT in text]


def failing_view_with(note: str):
    diagnosis = note.upper()  # a local variable holding health data, as a real view's would
    raise ValueError(f"could not save ({len(diagnosis)} characters)")


def test_the_500_report_hides_local_variables_and_post_values(settings):
    """The HTML report (the 500 page with DEBUG off, an e-mail with include_html) lists every
    frame's variables: their values are hidden too. (The values are built at run time: the
    report quotes the source lines around each frame, and those must not count.)"""
    settings.DEBUG = False
    note, lot = "-".join(["pustule", "xq", "4417"]), "".join(["LOT", "QZ", "9"])
    request = RequestFactory().post("/injections/1/edit/", {"note": note, "lot_number": lot})
    try:
        failing_view_with(request.POST["note"])
    except ValueError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    html, text = reporter.get_traceback_html(), reporter.get_traceback_text()
    for report in (html, text):
        assert "ValueError" in report and "lot_number" in report
        for value in (note, note.upper(), lot):
            assert value not in report
    assert "diagnosis" in html  # the variable's name stays, to help debugging
