"""Reminders, domain level: when they fall due, once only, and what cancels them.

Guselkumab from Monday 4 January 2027 plans doses on 4 Jan, 1 Feb, 29 Mar (the day after Paris
springs forward), 24 May… Default settings: two days before and on the day, at 09:00 home time.
"""

import io
import smtplib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from patients.models import Channel, Kind, Reminder, ReminderSettings, State, Treatment
from patients.reminders import outbox, registry
from patients.reminders.delivery import deliver_reminder, dispatch_reminders
from patients.reminders.planning import dose_moments
from patients.reminders.scan import queue_due_reminders
from patients.timeutils import local_moment
from patients.treatments.writes import record_delivery, stop_treatment
from tests.factories import TreatmentFactory, UserFactory, log_dose
from tests.support import FlakyBackend, sign_in
from tests.support.workers import send_due

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def run_scan(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return queue_due_reminders(now=at)


def emails_of(treatment: Treatment):
    return Reminder.objects.filter(treatment=treatment, channel=Channel.EMAIL)


# --- When ---------------------------------------------------------------------------------------


def test_dose_reminders_follow_paris_time_across_the_spring_change():
    moments = dose_moments(
        dose_number=3, dose_on=date(2027, 3, 29), lead_days=[2, 0], hour=9, zone=PARIS
    )
    assert [(m.occurrence, m.at) for m in moments] == [
        ("dose-3:lead-2", utc(2027, 3, 27, 8)),  # 09:00 CET
        ("dose-3:lead-0", utc(2027, 3, 29, 7)),  # 09:00 CEST
        ("dose-3:late-1", utc(2027, 3, 30, 7)),
        ("dose-3:late-2", utc(2027, 4, 6, 7)),
        ("dose-3:late-3", utc(2027, 4, 13, 7)),
    ]


def test_dose_reminders_follow_paris_time_across_the_autumn_change():
    moments = dose_moments(
        dose_number=8, dose_on=date(2027, 11, 1), lead_days=[2, 0], hour=9, zone=PARIS
    )
    assert [m.at for m in moments[:2]] == [utc(2027, 10, 30, 7), utc(2027, 11, 1, 8)]


def test_a_patient_in_new_york_is_reminded_at_nine_new_york_time_across_its_own_change():
    moments = dose_moments(
        dose_number=2, dose_on=date(2027, 3, 15), lead_days=[2, 0], hour=9, zone=NEW_YORK
    )
    assert [m.at for m in moments[:2]] == [utc(2027, 3, 13, 14), utc(2027, 3, 15, 13)]


def test_an_hour_that_does_not_exist_on_the_change_day_fires_one_hour_later():
    assert local_moment(date(2027, 3, 28), 2, PARIS) == utc(2027, 3, 28, 1)  # 03:00 CEST
    assert local_moment(date(2027, 10, 31), 2, PARIS) == utc(2027, 10, 31, 0)  # first 02:00


# --- From plan to outbox ------------------------------------------------------------------------


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_the_scan_writes_each_reminder_once_when_it_falls_due(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 3, 29)
    assert treatment.next_reminder_at == utc(2027, 3, 27, 8)

    assert run_scan(utc(2027, 3, 27, 7, 59)) == 0
    assert run_scan(utc(2027, 3, 27, 8, 0)) == 1
    assert run_scan(utc(2027, 3, 27, 8, 1)) == 0
    rows = Reminder.objects.filter(treatment=treatment)
    assert sorted(rows.values_list("channel", "state")) == [
        ("email", "pending"),
        ("in_app", "sent"),
    ]
    assert set(rows.values_list("occurrence", flat=True)) == {"dose-3:lead-2"}
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == utc(2027, 3, 29, 7)  # on the day, after the change


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_two_scans_of_the_same_moment_write_one_row_per_channel(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    Treatment.objects.filter(pk=treatment.pk).update(next_reminder_at=utc(2027, 3, 27, 8))
    run_scan(utc(2027, 3, 27, 8, 5))  # a second beat replaying the same moment
    assert Reminder.objects.filter(treatment=treatment).count() == 2


def names_the_medicine(treatment) -> None:
    """The patient chose to see the medicine's name (discreet is the default, issue 19): these
    tests read the named wording and the product's own missed-dose advice."""
    ReminderSettings.objects.create(patient=treatment.patient, calendar_discreet=False)


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_the_upcoming_email_is_sent_once_in_the_patients_language(
    treatment, django_capture_on_commit_callbacks
):
    names_the_medicine(treatment)
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    assert send_due(utc(2027, 3, 27, 8, 1), django_capture_on_commit_callbacks) == ["sent"]
    assert send_due(utc(2027, 3, 27, 8, 2), django_capture_on_commit_callbacks) == []
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["camille@example.com"]
    assert message.subject == "Votre injection est prévue dans 2 jours"
    assert "Tremfya" not in message.subject  # lock screens show subjects
    assert "La dose 3 de Tremfya (guselkumab) est prévue le 29 mars 2027." in message.body
    assert "/reminders/open/" in message.body
    html = message.alternatives[0].content
    assert '<html lang="fr">' in html
    sent = emails_of(treatment).get()
    assert (sent.state, sent.attempts, sent.sent_at) == ("sent", 1, utc(2027, 3, 27, 8, 1))


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_an_english_speaking_patient_gets_english(treatment, django_capture_on_commit_callbacks):
    treatment.patient.language = "en"
    treatment.patient.save()
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 29, 7))
    send_due(utc(2027, 3, 29, 7), django_capture_on_commit_callbacks)
    assert mail.outbox[0].subject == "Your injection is planned for today"
    assert "/en/reminders/open/" in mail.outbox[0].body


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_logging_the_dose_cancels_what_is_pending_and_plans_the_next_dose(
    treatment, django_capture_on_commit_callbacks
):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 29, 7))  # on the day: e-mail pending
    with time_machine.travel(utc(2027, 3, 29, 7, 0, 30), tick=False):
        log_dose(
            treatment,
            3,
            date(2027, 3, 29),
        )
    assert emails_of(treatment).get().state == State.CANCELLED
    assert send_due(utc(2027, 3, 29, 7, 1), django_capture_on_commit_callbacks) == []
    treatment.refresh_from_db()
    assert (treatment.next_dose_number, treatment.next_dose_on) == (4, date(2027, 5, 24))
    assert treatment.next_reminder_at == utc(2027, 5, 22, 7)
    assert mail.outbox == []


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_dose_logged_after_the_claim_is_not_emailed(
    treatment, django_capture_on_commit_callbacks
):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 29, 7))
    with (
        time_machine.travel(utc(2027, 3, 29, 7), tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        dispatch_reminders(now=utc(2027, 3, 29, 7))
    with time_machine.travel(utc(2027, 3, 29, 7, 0, 10), tick=False):
        log_dose(treatment, 3, date(2027, 3, 29))
    (ids,) = callbacks[0].args
    assert deliver_reminder(reminder_id=ids[0], now=utc(2027, 3, 29, 7, 1)) == "cancelled"
    assert mail.outbox == []


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_an_overdue_dose_is_reminded_the_day_after_then_weekly_three_times(
    treatment, django_capture_on_commit_callbacks
):
    names_the_medicine(treatment)
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    moments = [utc(2027, 3, 27, 8), utc(2027, 3, 29, 7)]
    moments += [utc(2027, 3, 30, 7), utc(2027, 4, 6, 7), utc(2027, 4, 13, 7)]
    for moment in moments + [utc(2027, 4, 20, 7), utc(2027, 5, 30, 7)]:
        run_scan(moment)
        send_due(moment, django_capture_on_commit_callbacks)
    assert list(emails_of(treatment).order_by("due_at").values_list("occurrence", "state")) == [
        ("dose-3:lead-2", "sent"),
        ("dose-3:lead-0", "sent"),
        ("dose-3:late-1", "sent"),
        ("dose-3:late-2", "sent"),
        ("dose-3:late-3", "sent"),
    ]
    overdue = mail.outbox[2]
    assert overdue.subject == "Une injection n’est pas encore notée"
    assert "il y a 1 jour" in overdue.body
    with translation.override("fr"):
        assert str(treatment.drug.missed_dose_advice) in overdue.body
    assert "il y a 15 jours" in mail.outbox[4].body
    treatment.refresh_from_db()
    assert treatment.next_reminder_at is None  # nothing more until the dose is logged


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_after_an_outage_only_the_latest_reminder_goes_out(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 30, 10))  # nothing ran from the 26th to the 30th
    assert set(emails_of(treatment).values_list("occurrence", flat=True)) == {"dose-3:late-1"}


@pytest.mark.now(utc(2027, 3, 29, 15))
def test_a_treatment_set_up_after_the_hour_still_gets_todays_reminder(patient):
    treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 3, 30))
    # Lead days 2 and 0: 2 days before was yesterday (not sent late), the day itself is tomorrow.
    assert treatment.next_reminder_at == utc(2027, 3, 30, 7)
    prefs = ReminderSettings.objects.create(patient=patient, lead_days=[1])
    registry.plan_patient_reminders(patient=patient, now=utc(2027, 3, 29, 15))
    treatment.refresh_from_db()
    assert prefs.lead_days == [1]
    assert treatment.next_reminder_at == utc(2027, 3, 29, 7)  # today 09:00: due at once
    assert run_scan(utc(2027, 3, 29, 15)) == 1
    assert emails_of(treatment).get().occurrence == "dose-1:lead-1"


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_stopping_the_treatment_cancels_its_reminders(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    stop_treatment(treatment=treatment, on=date(2027, 3, 20))
    treatment.refresh_from_db()
    assert treatment.next_reminder_at is None
    assert emails_of(treatment).get().state == State.CANCELLED
    assert run_scan(utc(2027, 4, 1)) == 0


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_paused_reminders_write_nothing_and_resume_from_the_next_moment(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    ReminderSettings.objects.create(patient=treatment.patient, paused=True)
    registry.plan_patient_reminders(patient=treatment.patient, now=utc(2027, 3, 20, 12))
    assert run_scan(utc(2027, 3, 27, 8)) == 0
    assert not Reminder.objects.exists()
    ReminderSettings.objects.filter(patient=treatment.patient).update(paused=False)
    treatment.patient.refresh_from_db()
    registry.plan_patient_reminders(patient=treatment.patient, now=utc(2027, 3, 28, 12))
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == utc(2027, 3, 29, 7)


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_email_only_or_app_only_writes_only_that_channel(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    ReminderSettings.objects.create(patient=treatment.patient, by_email=False)
    run_scan(utc(2027, 3, 27, 8))
    assert list(Reminder.objects.values_list("channel", flat=True)) == [Channel.IN_APP]


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_low_stock_is_told_once_per_stock_level(treatment, django_capture_on_commit_callbacks):
    names_the_medicine(treatment)
    record_delivery(treatment=treatment, received_on=date(2027, 1, 4), devices=3)
    log_dose(treatment, 1, date(2027, 1, 4))
    assert not Reminder.objects.filter(kind=Kind.LOW_STOCK).exists()  # 2 left
    log_dose(treatment, 2, date(2027, 2, 1))  # 1 left: covers one dose
    low = Reminder.objects.filter(kind=Kind.LOW_STOCK)
    assert sorted(low.values_list("channel", "occurrence")) == [
        ("email", "stock-3-1"),
        ("in_app", "stock-3-1"),
    ]
    injection = log_dose(treatment, 3, date(2027, 3, 29))  # 0 left: a new level
    assert low.filter(channel=Channel.EMAIL).count() == 2
    from patients.treatments.injections import delete_injection, restore_injection

    delete_injection(injection=injection)
    restore_injection(injection=injection)  # back to 0 left: already told
    assert low.filter(channel=Channel.EMAIL).count() == 2
    send_due(utc(2027, 3, 29, 8), django_capture_on_commit_callbacks)
    stock_mails = [m for m in mail.outbox if "ordonnance" in m.subject]
    assert len(stock_mails) == 1  # the stock-3-1 one was cancelled when the level changed
    assert "Il vous reste 0 dispositif de Tremfya." in stock_mails[0].body


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_delivery_that_restores_the_stock_cancels_the_pending_notice(treatment):
    record_delivery(treatment=treatment, received_on=date(2027, 1, 4), devices=1)
    low = Reminder.objects.filter(kind=Kind.LOW_STOCK, channel=Channel.EMAIL)
    assert low.get().state == State.PENDING
    record_delivery(treatment=treatment, received_on=date(2027, 3, 20), devices=4)
    assert low.get().state == State.CANCELLED


# --- Delivery failures ----------------------------------------------------------------------------


@pytest.fixture
def flaky_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.support.FlakyBackend"}}
    yield FlakyBackend
    FlakyBackend.error = smtplib.SMTPServerDisconnected("gone")


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_failing_mail_server_is_retried_with_backoff_then_marked_failed(
    treatment, flaky_mail, django_capture_on_commit_callbacks, patient_client
):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    at = utc(2027, 3, 27, 8)
    delays = []
    for _attempt in range(outbox.MAX_ATTEMPTS):
        outcome = send_due(at, django_capture_on_commit_callbacks)
        email = emails_of(treatment).get()
        if email.state == State.PENDING:
            delays.append(email.due_at - at)
            assert (
                send_due(email.due_at - timedelta(seconds=1), django_capture_on_commit_callbacks)
                == []
            )
            at = email.due_at
    assert outcome == ["failed"]
    assert (email.state, email.attempts, email.last_error) == (
        "failed",
        outbox.MAX_ATTEMPTS,
        "SMTPServerDisconnected",
    )
    # Each wait lies in [50 %, 100 %] of 1, 2, 4, 8 minutes.
    for n, delay in enumerate(delays):
        ceiling = timedelta(minutes=2**n)
        assert ceiling / 2 <= delay <= ceiling
    page = patient_client.get("/dashboard/")
    assert "Nous n’avons pas pu vous envoyer 1 rappel par e-mail." in page.content.decode()


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_refused_address_fails_at_once(treatment, flaky_mail, django_capture_on_commit_callbacks):
    flaky_mail.error = smtplib.SMTPRecipientsRefused({"camille@example.com": (550, b"no such")})
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    assert send_due(utc(2027, 3, 27, 8), django_capture_on_commit_callbacks) == ["failed"]
    assert emails_of(treatment).get().last_error == "SMTPRecipientsRefused"


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_claim_left_by_a_dead_worker_is_dispatched_again_after_the_timeout(
    treatment, settings, django_capture_on_commit_callbacks
):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 27, 8))
    claimed_at = utc(2027, 3, 27, 8)
    with django_capture_on_commit_callbacks(execute=False):
        assert dispatch_reminders(now=claimed_at) == 1  # …and the worker dies
    timeout = timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)
    with django_capture_on_commit_callbacks(execute=False):
        assert dispatch_reminders(now=claimed_at + timeout) == 0
    assert send_due(
        claimed_at + timeout + timedelta(seconds=1), django_capture_on_commit_callbacks
    ) == ["sent"]
    assert len(mail.outbox) == 1
    assert emails_of(treatment).get().attempts == 2


def test_a_patient_in_new_york_gets_the_reminder_at_nine_new_york_time(catalogue):
    patient = UserFactory(email="ny@example.com", time_zone="America/New_York")
    with time_machine.travel(utc(2027, 3, 1), tick=False):
        treatment = TreatmentFactory(patient=patient, first_dose_on=date(2027, 3, 15))
    assert treatment.next_reminder_at == utc(2027, 3, 13, 14)  # 09:00 EST, two days before
    assert run_scan(utc(2027, 3, 13, 13, 59)) == 0
    assert run_scan(utc(2027, 3, 13, 14)) == 1
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == utc(2027, 3, 15, 13)  # 09:00 EDT


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_deleting_a_dose_logged_by_mistake_brings_todays_email_back(
    treatment, django_capture_on_commit_callbacks
):
    from patients.treatments.injections import delete_injection

    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    run_scan(utc(2027, 3, 29, 7))
    with time_machine.travel(utc(2027, 3, 29, 7, 0, 20), tick=False):
        mistake = log_dose(treatment, 3, date(2027, 3, 29))
        assert emails_of(treatment).get().state == State.CANCELLED
        delete_injection(injection=mistake)
    assert emails_of(treatment).get().state == State.PENDING
    assert send_due(utc(2027, 3, 29, 7, 1), django_capture_on_commit_callbacks) == ["sent"]


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_a_dose_moved_in_the_admin_moves_its_reminders(treatment, client):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    assert treatment.next_reminder_at == utc(2027, 3, 27, 8)
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    sign_in(client, admin)
    response = client.post(
        f"/en/admin/patients/treatment/{treatment.pk}/change/",
        {
            "patient": treatment.patient.pk,
            "drug": treatment.drug.pk,
            "regimen": treatment.regimen.pk,
            "first_dose_on": "2027-01-04",
            "prescriber_name": "",
            "stopped_on": "",
            "overrides-TOTAL_FORMS": "1",
            "overrides-INITIAL_FORMS": "0",
            "overrides-MIN_NUM_FORMS": "0",
            "overrides-MAX_NUM_FORMS": "1000",
            "overrides-0-dose_number": "3",
            "overrides-0-date": "2027-04-05",
            "overrides-0-set_by": admin.pk,
        },
    )
    assert response.status_code == 302, response.content.decode().split("errorlist")[1:3]
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 4, 5)
    assert treatment.next_reminder_at == utc(2027, 4, 3, 7)  # two days before, 09:00 CEST


@pytest.mark.now(utc(2027, 3, 20, 12))
def test_the_plan_reminders_command_fills_in_missing_reminder_times(treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    Treatment.objects.filter(pk=treatment.pk).update(next_reminder_at=None, next_dose_on=None)
    call_command("plan_reminders", stdout=io.StringIO())
    treatment.refresh_from_db()
    assert treatment.next_dose_on == date(2027, 3, 29)
    assert treatment.next_reminder_at == utc(2027, 3, 27, 8)
