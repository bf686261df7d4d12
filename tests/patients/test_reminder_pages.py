"""The patient's side of reminders: settings, notifications, the e-mail link, the calendar feed."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from icalendar import Calendar

from patients.models import Channel, Injection, Kind, Reminder, ReminderSettings, State, User
from patients.reminders.delivery import deliver_reminder, dispatch_reminders
from patients.reminders.links import open_link
from patients.reminders.scan import queue_due_reminders
from patients.treatments.writes import record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)


def link_path(reminder: Reminder) -> str:
    with translation.override("fr"):  # as sent to a French-speaking patient
        return open_link(reminder).removeprefix("http://localhost:8000")


def in_app(treatment, n: int = 1) -> list[Reminder]:
    return [
        Reminder.objects.create(
            patient=treatment.patient,
            treatment=treatment,
            dose_number=2,
            about_date=date(2027, 2, 1),
            kind=Kind.UPCOMING_DOSE,
            occurrence=f"dose-2:lead-{i}",
            channel=Channel.IN_APP,
            state=State.SENT,
            due_at=NOW - timedelta(hours=i),
            sent_at=NOW - timedelta(hours=i),
        )
        for i in range(n)
    ]


# --- Settings -------------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_saving_the_settings_moves_the_next_reminder(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == datetime(2027, 1, 30, 8, tzinfo=UTC)  # 09:00 Paris
    response = patient_client.post(
        "/reminders/",
        {"lead_days": ["1", "0"], "hour": "7", "by_email": "on", "in_app": "on"},
    )
    assert response.status_code == 302
    prefs = ReminderSettings.objects.get(patient=treatment.patient)
    # The box left unticked: the patient chose to see the medicine's name.
    assert (prefs.lead_days, prefs.hour, prefs.calendar_discreet) == ([1, 0], 7, False)
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == datetime(2027, 1, 31, 6, tzinfo=UTC)  # 07:00, day before


@pytest.mark.now(NOW)
def test_settings_with_no_day_or_no_channel_are_refused_and_kept_on_the_form(patient_client):
    response = patient_client.post("/en/reminders/", {"hour": "21"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose at least one day, or pause the reminders." in page
    assert "Choose at least one way to be reminded, or pause the reminders." in page
    assert '<option value="21" selected>21:00</option>' in page
    assert ReminderSettings.objects.get().hour == 9  # nothing saved


@pytest.mark.now(NOW)
def test_pausing_clears_the_next_reminder(patient_client, treatment):
    patient_client.post("/reminders/", {"lead_days": ["2"], "hour": "9", "paused": "on"})
    treatment.refresh_from_db()
    assert treatment.next_reminder_at is None


@pytest.mark.django_db
def test_reminder_pages_are_for_patients_only(client, clinician):
    sign_in(client, clinician)
    assert client.get("/reminders/").status_code == 404
    assert client.get("/notifications/").status_code == 404
    assert client.get("/reminders/").status_code == 404
    client.logout()
    assert client.get("/reminders/").status_code == 302  # to the log-in page


@pytest.mark.now(NOW)
def test_changing_the_home_zone_moves_the_reminders(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    patient_client.post(
        "/accounts/profile/",
        {"display_name": "Camille", "time_zone": "America/New_York", "language": "fr"},
    )
    treatment.refresh_from_db()
    assert treatment.next_reminder_at == datetime(2027, 1, 30, 14, tzinfo=UTC)  # 09:00 EST


# --- Notifications --------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_header_counts_unread_notifications_until_they_are_seen(patient_client, treatment):
    # The patient chose to see the medicine's name (discreet is the default).
    ReminderSettings.objects.create(patient=treatment.patient, calendar_discreet=False)
    in_app(treatment, 3)
    page = patient_client.get("/en/dashboard/").content.decode()
    assert '<span class="badge">3<span class="visually-hidden"> unread</span></span>' in page
    listing = patient_client.get("/en/notifications/").content.decode()
    assert listing.count("Dose 2 of Tremfya is planned on 1 February 2027.") == 3
    assert listing.count(">New</strong>") == 3
    page = patient_client.get("/en/dashboard/").content.decode()
    assert 'class="badge"' not in page
    assert ">New</strong>" not in patient_client.get("/en/notifications/").content.decode()


@pytest.mark.now(NOW)
def test_a_failed_email_is_shown_in_the_history(patient_client, treatment):
    Reminder.objects.create(
        patient=treatment.patient,
        treatment=treatment,
        dose_number=2,
        about_date=date(2027, 2, 1),
        kind=Kind.OVERDUE_DOSE,
        occurrence="dose-2:late-1",
        channel=Channel.EMAIL,
        state=State.FAILED,
        due_at=NOW,
        last_error="SMTPServerDisconnected",
    )
    page = patient_client.get("/en/notifications/").content.decode()
    assert "We could not e-mail you this reminder" in page
    assert "SMTPServerDisconnected" not in page  # technical details stay in the admin


@pytest.mark.now(NOW)
def test_another_patients_notifications_are_not_listed(patient_client, treatment, other_patient):
    from tests.factories import TreatmentFactory

    in_app(TreatmentFactory(patient=other_patient))
    page = patient_client.get("/en/notifications/").content.decode()
    assert "No notifications yet." in page


@pytest.mark.now(NOW)
@pytest.mark.parametrize("count", [2, 60])
def test_notifications_cost_the_same_queries_however_many(
    patient_client, treatment, count, django_assert_num_queries
):
    in_app(treatment, count)
    # session, user, badge, count, page, mark as seen, the discreet choice (issue 17, item 11)
    with django_assert_num_queries(7):
        assert patient_client.get("/en/notifications/").status_code == 200
    with django_assert_num_queries(6):  # nothing left to mark as seen on page 1
        patient_client.get("/en/notifications/")


@pytest.mark.now(NOW)
def test_settings_page_costs_a_fixed_number_of_queries(
    patient_client, treatment, django_assert_num_queries
):
    patient_client.get("/en/reminders/")
    # session, user, settings, badge, push devices, the treatments ("get ready", with their drug)
    with django_assert_num_queries(6):
        assert patient_client.get("/en/reminders/").status_code == 200
    TreatmentFactory(patient=treatment.patient, drug_inn="secukinumab")
    with django_assert_num_queries(6):  # the same with two treatments
        assert patient_client.get("/en/reminders/").status_code == 200


# --- The link in the e-mail -----------------------------------------------------------------------


@pytest.fixture
def emailed(treatment, django_capture_on_commit_callbacks):
    """The upcoming-dose e-mail for dose 2, sent on 30 January 2027."""
    log_dose(treatment, 1, date(2027, 1, 4))
    at = datetime(2027, 1, 30, 8, tzinfo=UTC)
    queue_due_reminders(now=at)
    with django_capture_on_commit_callbacks(execute=False):
        dispatch_reminders(now=at)
    reminder = Reminder.objects.get(channel=Channel.EMAIL)
    assert deliver_reminder(reminder_id=reminder.pk, now=at) == "sent"
    return reminder


@pytest.mark.now(NOW)
def test_the_email_link_opens_the_form_for_that_dose_and_logs_nothing(patient_client, emailed):
    url = mail.outbox[0].body.split("http://localhost:8000", 1)[1].split()[0]
    response = patient_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/treatments/{emailed.treatment_id}/injections/new/?dose=2"
    form = patient_client.get(response["Location"]).content.decode()
    assert '<option value="2" selected>' in form
    assert Injection.objects.live().count() == 1  # only dose 1, logged before


@pytest.mark.now(NOW)
def test_the_email_link_of_another_patient_answers_404(client, emailed, other_patient):
    client.force_login(other_patient)
    assert client.get(link_path(emailed)).status_code == 404


@pytest.mark.now(NOW)
def test_a_tampered_link_answers_404(patient_client, emailed):
    assert patient_client.get(link_path(emailed)[:-3] + "xyz/").status_code == 404


@pytest.mark.now(NOW)
def test_the_link_of_a_dose_already_logged_says_so(patient_client, emailed, treatment):
    log_dose(treatment, 2, date(2027, 2, 1))
    response = patient_client.get("/en" + link_path(emailed), follow=True)
    assert "This dose is already logged." in response.content.decode()


@pytest.mark.now(NOW)
def test_the_link_needs_a_log_in_and_comes_back_after_it(client, emailed):
    path = link_path(emailed)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/reminders/open/")


@pytest.mark.now(NOW)
def test_a_low_stock_link_opens_the_stock_form(patient_client, treatment):
    record_delivery(treatment=treatment, received_on=date(2027, 1, 4), devices=1)
    reminder = Reminder.objects.get(kind=Kind.LOW_STOCK, channel=Channel.EMAIL)
    response = patient_client.get(link_path(reminder))
    assert response["Location"] == f"/treatments/{treatment.pk}/stock/"


# --- The calendar feed ----------------------------------------------------------------------------


def feed(client, patient) -> tuple[Calendar, str]:
    token = ReminderSettings.objects.get_or_create(patient=patient)[0].calendar_token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    return Calendar.from_ical(body), body


@pytest.mark.now(NOW)
def test_the_calendar_feed_lists_a_year_of_unlogged_doses_with_alarms(client, treatment):
    ReminderSettings.objects.create(patient=treatment.patient, calendar_discreet=False)
    log_dose(treatment, 1, date(2027, 1, 4))
    calendar, body = feed(client, treatment.patient)
    events = calendar.walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [
        date(2027, 2, 1),
        date(2027, 3, 29),
        date(2027, 5, 24),
        date(2027, 7, 19),
        date(2027, 9, 13),
        date(2027, 11, 8),
        date(2028, 1, 3),
    ]
    first = events[0]
    assert str(first["summary"]) == "Injection de Tremfya (guselkumab)"
    assert str(first["uid"]).endswith("@interleukin-care")  # opaque: see tests/security
    triggers = sorted(a.decoded("trigger") for a in first.walk("VALARM"))
    # 09:00 in Paris (the home zone), as absolute UTC moments (issue 17, item 12).
    assert triggers == [
        datetime(2027, 1, 30, 8, tzinfo=UTC),
        datetime(2027, 2, 1, 8, tzinfo=UTC),
    ]
    assert str(calendar["version"]) == "2.0" and calendar["prodid"]
    assert "\r\n" in body  # RFC 5545 line endings
    assert all(e["dtstamp"] for e in events)


@pytest.mark.now(NOW)
def test_discreet_titles_reveal_no_medicine(client, treatment):
    ReminderSettings.objects.create(patient=treatment.patient, calendar_discreet=True)
    calendar, body = feed(client, treatment.patient)
    assert {str(e["summary"]) for e in calendar.walk("VEVENT")} == {"Traitement"}
    assert "Tremfya" not in body and "guselkumab" not in body and "mg" not in body


@pytest.mark.now(NOW)
def test_a_new_address_retires_the_old_one(patient_client, client, treatment):
    old = ReminderSettings.objects.get_or_create(patient=treatment.patient)[0].calendar_token
    assert len(old) >= 43  # 32 random bytes, base64: 256 bits
    patient_client.post("/reminders/calendar/new/")
    new = ReminderSettings.objects.get(patient=treatment.patient).calendar_token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


@pytest.mark.django_db
def test_an_unknown_calendar_token_answers_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


@pytest.mark.now(NOW)
@pytest.mark.parametrize("logged", [1, 2])
def test_the_feed_costs_the_same_queries_however_long_the_history(
    client, treatment, logged, django_assert_num_queries
):
    for number, day in list(zip([1, 2], [date(2027, 1, 4), date(2027, 2, 1)], strict=True))[
        :logged
    ]:
        log_dose(treatment, number, day)
    token = ReminderSettings.objects.get_or_create(patient=treatment.patient)[0].calendar_token
    with django_assert_num_queries(4):  # settings + patient, treatments, injections, overrides
        client.get(f"/calendar/{token}.ics")


# --- The demo -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_patient_gets_the_day_before_email_as_soon_as_beat_runs(
    catalogue, django_capture_on_commit_callbacks
):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    now = timezone.now()
    queue_due_reminders(now=now)
    with django_capture_on_commit_callbacks(execute=False):
        dispatch_reminders(now=now)
    patient = User.objects.get(email="patient@demo.example")
    for reminder in Reminder.objects.filter(patient=patient, state=State.SENDING):
        deliver_reminder(reminder_id=reminder.pk, now=now)
    subjects = {m.subject for m in mail.outbox}
    assert "Votre injection est prévue demain" in subjects


@pytest.mark.now(NOW)
def test_a_new_patient_is_discreet_everywhere_until_she_chooses_names(patient_client, treatment):
    """Issue 19: nothing names the medicine on a lock screen, in an e-mail subject or a shared
    calendar unless the patient chose it; the settings page shows the box ticked."""
    page = patient_client.get("/en/reminders/").content.decode()
    box = re.search(r'<input[^>]*name="calendar_discreet"[^>]*>', page)[0]
    assert "checked" in box
    in_app(treatment, 1)
    listing = patient_client.get("/en/notifications/").content.decode()
    assert "Tremfya" not in listing
    calendar, body = feed(Client(), treatment.patient)
    assert "Tremfya" not in body and "guselkumab" not in body
