"""'Get ready' (issue 19, item 3): on a dose day, the label's time before the patient's usual
injection time, a reminder to take the device out of the fridge: push and in-app, e-mail only
on request; planned in the patient's zone across the DST weekends; once; none when the label
gives no time or the dose is already logged.

Tremfya (guselkumab) pre-filled syringe: 30 minutes at room temperature (EU leaflet, section 5);
its pen has no time in the catalogue. Bimzelx 160 mg syringe: 30 to 45 minutes (EU leaflet,
instructions for use): the reminder comes at the lower bound and the notice gives the range.
"""

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from patients.models import Channel, Kind, PushSubscription, Reminder, ReminderSettings, State
from patients.reminders.delivery import deliver_reminders, dispatch_reminders
from patients.reminders.planning import dose_moments
from patients.reminders.scan import queue_due_reminders
from patients.treatments.writes import start_treatment
from tests.factories import UserFactory, log_dose
from tests.support.push_service import Phone, PushService
from therapies.models import Drug, Regimen

PARIS = ZoneInfo("Europe/Paris")
SYRINGE, PEN = "prefilled-syringe-100mg", "pen-100mg"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def vapid(settings):
    from patients.reminders.channels.push import new_vapid_keys

    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    settings.VAPID_SUBJECT = "mailto:ops@interleukin-care.fr"
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True


def ready_patient(
    *,
    first_dose_on: date,
    device: str = SYRINGE,
    at=time(20, 0),
    inn: str = "guselkumab",
    email: str = "camille@example.com",
    **prefs,
):
    """A Paris patient on Tremfya (or `inn`) who usually injects at `at`, reminded by push, in the
    app and by e-mail (the dose reminders at 09:00 on the day)."""
    patient = UserFactory(email=email, display_name="Camille")
    chosen = {
        "lead_days": [0],
        "hour": 9,
        "by_email": True,
        "in_app": True,
        "by_push": True,
        "calendar_discreet": True,  # as the other push kinds: the medicine named only if chosen
        "injection_time": at,
        **prefs,
    }
    ReminderSettings.objects.create(patient=patient, **chosen)
    drug = Drug.objects.get(inn=inn)
    treatment = start_treatment(
        patient=patient,
        drug=drug,
        regimen=Regimen.objects.get(drug=drug, is_default=True),
        first_dose_on=first_dose_on,
        presentation_key=device,
    )
    return patient, treatment


def add_phone(patient, service: PushService, phone: Phone) -> None:
    sub = phone.subscription(service.endpoint("phone"))
    PushSubscription.objects.create(
        patient=patient, endpoint=sub["endpoint"], label="Chrome", **sub["keys"]
    )


def run(at: datetime, time_machine) -> list[str]:
    """The scan, the dispatch and the delivery at `at`, as beat and the worker would."""
    time_machine.move_to(at, tick=False)
    queue_due_reminders(now=at)
    dispatch_reminders(now=at)
    ids = list(Reminder.objects.filter(state=State.SENDING).values_list("pk", flat=True))
    return deliver_reminders(reminder_ids=ids, now=at)


def ready_rows():
    return Reminder.objects.filter(kind=Kind.GET_READY)


# --- When -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2027, 3, 27), time(20, 0), utc(2027, 3, 27, 18, 30)),  # Saturday, 20:00 CET
        (date(2027, 3, 28), time(20, 0), utc(2027, 3, 28, 17, 30)),  # spring forward: CEST
        (date(2027, 3, 28), time(2, 30), utc(2027, 3, 28, 1, 0)),  # 02:30 skipped: read 03:30
        (date(2027, 10, 30), time(20, 0), utc(2027, 10, 30, 17, 30)),  # Saturday, CEST
        (date(2027, 10, 31), time(20, 0), utc(2027, 10, 31, 18, 30)),  # fall back: CET
        (date(2027, 10, 31), time(2, 30), utc(2027, 10, 31, 0, 0)),  # twice: the first one
        (date(2027, 10, 31), time(0, 10), utc(2027, 10, 30, 21, 40)),  # the day before, in UTC
    ],
)
def test_get_ready_comes_the_labels_minutes_before_the_usual_time_in_paris(day, at, expected):
    moments = dose_moments(
        dose_number=4, dose_on=day, lead_days=[0], hour=9, zone=PARIS, ready=(at, 30)
    )
    (ready,) = [m for m in moments if m.kind == Kind.GET_READY]
    assert ready.occurrence == "dose-4:ready" and ready.at == expected
    assert moments == sorted(moments, key=lambda m: m.at)


def test_no_get_ready_moment_without_a_time_or_minutes():
    moments = dose_moments(
        dose_number=1, dose_on=date(2027, 3, 28), lead_days=[0], hour=9, zone=PARIS
    )
    assert Kind.GET_READY not in {m.kind for m in moments}


# --- Across the DST weekend, end to end -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2027, 3, 28), utc(2027, 3, 28, 17, 30)),
        (date(2027, 10, 31), utc(2027, 10, 31, 18, 30)),
    ],
)
def test_on_the_dst_sunday_push_and_in_app_come_once_at_the_right_instant(
    catalogue, vapid, time_machine, day, due
):
    time_machine.move_to(datetime.combine(day - timedelta(days=10), time(12), tzinfo=UTC))
    patient, treatment = ready_patient(first_dose_on=day)
    phone = Phone()
    with PushService([201]) as service:
        add_phone(patient, service, phone)
        run(due - timedelta(minutes=1), time_machine)
        assert not ready_rows().exists()
        run(due, time_machine)
        run(due + timedelta(minutes=1), time_machine)
        run(due + timedelta(minutes=20), time_machine)
    rows = ready_rows()
    assert sorted(rows.values_list("channel", "state", "due_at")) == [
        (Channel.IN_APP, State.SENT, due),
        (Channel.PUSH, State.SENT, due),
    ]  # no e-mail: not asked for this one
    ready_messages = [
        m
        for m in service.received
        if "réfrigérateur" in json.dumps(phone.read(m), ensure_ascii=False)
    ]
    assert len(ready_messages) == 1  # once, though three runs followed
    (message,) = ready_messages
    shown = phone.read(message)["notification"]  # decrypted with the phone's private key
    assert shown["title"] == (
        "Préparez-vous : sortez votre seringue du réfrigérateur maintenant "
        "(la notice indique 30 minutes à température ambiante)"
    )
    for name in ("tremfya", "guselkumab"):  # discreet by default on the lock screen
        assert name not in json.dumps(phone.read(message)).lower()
    # One Topic per dose: it replaces the morning's reminder of the same dose on the phone.
    assert message.headers["Topic"] == f"dose-{treatment.pk}-1"
    assert message.headers["Urgency"] == "high" and int(message.headers["TTL"]) == 2 * 3600
    morning = [m for m in service.received if m is not message]
    assert {m.headers["Topic"] for m in morning} == {f"dose-{treatment.pk}-1"}


def test_the_in_app_notice_says_the_labels_time(catalogue, client, time_machine):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    patient, _treatment = ready_patient(first_dose_on=date(2027, 3, 10), by_push=False)
    run(utc(2027, 3, 10, 18, 30), time_machine)  # 19:30 in Paris (CET)
    assert ready_rows().get().channel == Channel.IN_APP
    client.force_login(patient)
    page = client.get(reverse("patients:notifications")).content.decode()
    assert (
        "Préparez-vous : sortez votre injection du réfrigérateur maintenant ; la notice indique "
        "30 minutes à température ambiante avant l’injection." in page
    )


def test_a_range_on_the_label_reminds_at_its_lower_bound_and_says_the_range(
    catalogue, client, time_machine
):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    patient, _treatment = ready_patient(
        first_dose_on=date(2027, 3, 10),
        inn="bimekizumab",
        device="prefilled-syringe-160mg",
        by_push=False,
        get_ready_by_email=True,
    )
    patient.language = "en"
    patient.save(update_fields=["language"])
    mail.outbox.clear()
    run(utc(2027, 3, 10, 18, 0), time_machine)  # 19:00 in Paris: 60 minutes before, too early
    assert not ready_rows().exists()
    run(utc(2027, 3, 10, 18, 30), time_machine)  # 19:30 in Paris: 30 minutes before 20:00
    assert sorted(ready_rows().values_list("channel", flat=True)) == [Channel.EMAIL, Channel.IN_APP]
    (email,) = [m for m in mail.outbox if "fridge" in m.subject]
    assert email.subject == (
        "Get ready: take your syringe out of the fridge now "
        "(the label says 30 to 45 minutes at room temperature)"
    )
    assert "Bimzelx, EU package leaflet, instructions for use" in email.body
    patient.language = "fr"
    patient.save(update_fields=["language"])
    client.force_login(patient)
    page = client.get(reverse("patients:notifications")).content.decode()
    assert (
        "Préparez-vous : sortez votre injection du réfrigérateur maintenant ; la notice indique "
        "30 à 45 minutes à température ambiante avant l’injection." in page
    )


def test_the_taltz_syringe_gets_its_thirty_minutes_and_the_taltz_pen_none(
    catalogue, vapid, time_machine
):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    ready_patient(
        first_dose_on=date(2027, 3, 10), inn="ixekizumab", device="prefilled-syringe-80mg"
    )
    ready_patient(
        first_dose_on=date(2027, 3, 10), inn="ixekizumab", device="pen-80mg", email="b@example.com"
    )
    for minute in range(0, 120, 10):
        run(utc(2027, 3, 10, 18) + timedelta(minutes=minute), time_machine)
    rows = set(ready_rows().values_list("treatment__presentation_key", "due_at"))
    assert rows == {("prefilled-syringe-80mg", utc(2027, 3, 10, 18, 30))}  # push and in-app


def test_by_email_only_when_asked_and_then_with_the_source(catalogue, time_machine):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    patient, _treatment = ready_patient(
        first_dose_on=date(2027, 3, 10), by_push=False, get_ready_by_email=True
    )
    patient.language = "en"
    patient.save(update_fields=["language"])
    mail.outbox.clear()
    run(utc(2027, 3, 10, 18, 30), time_machine)
    (email,) = [m for m in mail.outbox if "fridge" in m.subject]
    assert email.subject == (
        "Get ready: take your syringe out of the fridge now "
        "(the label says 30 minutes at room temperature)"
    )
    assert "You usually inject at 20:00" in email.body or "You usually inject at 8" in email.body
    assert "Tremfya, EU package leaflet, section 5" in email.body
    assert sorted(ready_rows().values_list("channel", flat=True)) == [Channel.EMAIL, Channel.IN_APP]


# --- None -----------------------------------------------------------------------------------------


def test_none_when_the_label_gives_no_time_for_the_device(catalogue, vapid, time_machine):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    ready_patient(first_dose_on=date(2027, 3, 10), device=PEN)
    for minute in range(0, 120, 10):
        run(utc(2027, 3, 10, 18) + timedelta(minutes=minute), time_machine)
    assert not ready_rows().exists()


def test_none_without_a_usual_time(catalogue, vapid, time_machine):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    ready_patient(first_dose_on=date(2027, 3, 10), at=None)
    for minute in range(0, 24 * 60, 30):
        run(utc(2027, 3, 10) + timedelta(minutes=minute), time_machine)
    assert not ready_rows().exists()


def test_none_after_the_dose_is_logged(catalogue, vapid, time_machine):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    patient, treatment = ready_patient(first_dose_on=date(2027, 3, 10))
    time_machine.move_to(utc(2027, 3, 10, 17), tick=False)  # 18:00 in Paris: injected early
    log_dose(treatment, 1, date(2027, 3, 10), at=time(18, 0))
    run(utc(2027, 3, 10, 18, 30), time_machine)
    run(utc(2027, 3, 10, 19, 0), time_machine)
    assert not ready_rows().exists()


def test_a_written_push_is_cancelled_when_the_dose_is_logged_before_it_goes(
    catalogue, vapid, time_machine
):
    time_machine.move_to(utc(2027, 3, 1, 12), tick=False)
    patient, treatment = ready_patient(first_dose_on=date(2027, 3, 10), in_app=False)
    at = utc(2027, 3, 10, 18, 30)
    time_machine.move_to(at, tick=False)
    queue_due_reminders(now=at)  # written, not yet dispatched
    assert ready_rows().get().state == State.PENDING
    log_dose(treatment, 1, date(2027, 3, 10), at=time(19, 30))
    with PushService([201]) as service:
        add_phone(patient, service, Phone())
        run(at + timedelta(minutes=1), time_machine)
    assert ready_rows().get().state == State.CANCELLED
    assert service.received == []


# --- The settings page ----------------------------------------------------------------------------


def test_the_usual_time_is_bounded_and_a_bad_one_keeps_what_was_typed(catalogue, patient_client):
    url = reverse("patients:reminder_settings")
    form = {
        "lead_days": ["2", "0"],
        "hour": "9",
        "by_email": "on",
        "in_app": "on",
        "injection_time": "25:00",
    }
    response = patient_client.post(url, form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saisissez une heure entre 00:00 et 23:59, par exemple 20:30." in page
    assert 'value="25:00"' in page  # nothing typed is lost
    assert not ReminderSettings.objects.filter(injection_time__isnull=False).exists()
    for bad in ("20h30", "-1:00", "12:60", "x" * 40):
        assert patient_client.post(url, {**form, "injection_time": bad}).status_code == 200
    response = patient_client.post(url, {**form, "injection_time": "20:30"})
    assert response.status_code == 302
    assert ReminderSettings.objects.get().injection_time == time(20, 30)
    patient_client.post(url, {**form, "injection_time": ""})
    assert ReminderSettings.objects.get().injection_time is None


def test_the_settings_page_says_why_a_treatment_has_no_get_ready_reminder(
    catalogue, patient, patient_client
):
    drug = Drug.objects.get(inn="guselkumab")
    regimen = Regimen.objects.get(drug=drug, is_default=True)
    start_treatment(
        patient=patient,
        drug=drug,
        regimen=regimen,
        first_dose_on=date(2027, 1, 4),
        presentation_key=PEN,
    )
    page = patient_client.get(reverse("patients:reminder_settings")).content.decode()
    assert "pas de rappel « préparez-vous »" in page.lower()
    treatment = patient.treatments.get()
    treatment.presentation_key = SYRINGE
    treatment.save(update_fields=["presentation_key"])
    page = patient_client.get(reverse("patients:reminder_settings")).content.decode()
    assert "la notice indique 30 minutes à température ambiante avant l’injection" in page
    assert "Tremfya, notice européenne, rubrique 5" in page
