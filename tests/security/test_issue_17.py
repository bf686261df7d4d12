"""Issue 17 (an outside attack, December 2026): the regression tests of the smaller items.
Items 1 and 2 have their own files (tests/patients/test_security_auth.py, test_date_bombs.py),
item 13 too (test_gunicorn_conf.py). Each test says what the code did before."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients.privacy import erasure

pytestmark = pytest.mark.django_db


# --- 14. SQLite keeps erased rows in its WAL until a checkpoint ----------------------------------


def test_an_erasure_checkpoints_sqlites_write_ahead_log_once_committed(
    patient, django_capture_on_commit_callbacks
):
    # Before: nothing ran after the erasure; the rows stayed in db.sqlite3-wal until SQLite's
    # next automatic checkpoint (1,000 pages of writes later).
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        erasure.erase_account(user=patient)
    assert erasure.checkpoint_sqlite in callbacks
    pragmas = [q["sql"] for q in queries if "wal_checkpoint" in q["sql"]]
    if connection.vendor == "sqlite":
        assert pragmas == ["PRAGMA wal_checkpoint(TRUNCATE)"]
    else:  # PostgreSQL: nothing to checkpoint from the app (SECURITY.md, "Erasure")
        assert pragmas == []


def test_a_truncating_checkpoint_empties_the_write_ahead_log(tmp_path):
    """What the PRAGMA does, on a file database of its own: the WAL holds the deleted row's
    page until the checkpoint, which leaves the -wal file empty."""
    import sqlite3

    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (secret TEXT)")
    db.execute("INSERT INTO t VALUES ('camille-secret')")
    db.commit()
    db.execute("DELETE FROM t")
    db.commit()
    wal = tmp_path / "db.sqlite3-wal"
    assert b"camille-secret" in wal.read_bytes()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert wal.read_bytes() == b""
    db.close()


# --- 7. A non-UTF-8 form charset -----------------------------------------------------------------

UTF16_LOGIN = "username=camille%40example.com&password=x".encode("utf-16")


@pytest.mark.parametrize(
    "charset", ["utf-16", "UTF-16LE", "utf-32", "iso-8859-1", "no-such-charset", "utf8"]
)
@pytest.mark.parametrize("path", ["/en/accounts/login/", "/en/accounts/signup/", "/healthz"])
def test_a_form_body_in_another_charset_is_a_bad_request(client, patient, charset, path):
    # Before: Django decoded the body as asked; a 500 in production, 25 s in development.
    with CaptureQueriesContext(connection) as queries:
        response = client.generic(
            "POST",
            path,
            UTF16_LOGIN,
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
    assert response.status_code == 400
    assert len(queries) == 0  # answered before any session, lock-out or account lookup


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8"])
def test_a_utf_8_or_ascii_form_body_is_read_as_usual(client, patient, charset):
    response = client.generic(
        "POST",
        "/en/accounts/login/",
        b"username=camille%40example.com&password=a-long-test-password",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 302


PRODUCTION_CHARSET = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test import override_settings
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="care.example.org")
plain = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain):
    response = client.generic(
        "POST",
        "/en/accounts/login/",
        "username=a%40example.org&password=x".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        secure=True,
    )
print(json.dumps({"status": response.status_code}))
"""


def test_in_production_a_utf_16_form_body_answers_400(tmp_path):
    from tests.security.production import run_json

    assert run_json(PRODUCTION_CHARSET, tmp_path) == {"status": 400}


# --- 4. The public verification limit: per trusted client address, in a shared cache -----------


@pytest.fixture
def verification_url(patient, treatment, clinician, care_link):
    from datetime import date

    from patients.travel.letters import approve_letter
    from patients.travel.trips import plan_trip

    trip = plan_trip(
        patient=patient,
        now=timezone.now(),
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=date(2027, 3, 20),
        returns_on=date(2027, 4, 2),
        traveller_name="Camille Martin",
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=timezone.now())
    return reverse("verify_letter", args=[letter.token])


def test_behind_the_trusted_proxy_each_client_has_its_own_verification_limit(
    settings, verification_url
):
    # Before: the key was REMOTE_ADDR, the proxy's: every client behind it shared one bucket.
    from django.test import Client

    from patients.views.travel import VERIFY_RATE

    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    greedy = {"X-Forwarded-For": "203.0.113.66"}
    statuses = [
        proxy.get(verification_url, headers=greedy).status_code for _ in range(VERIFY_RATE + 1)
    ]
    assert statuses[-1] == 429
    other = proxy.get(verification_url, headers={"X-Forwarded-For": "198.51.100.7"})
    assert other.status_code == 200
    # A client writing its own X-Forwarded-For before the proxy's entry changes nothing.
    forged = {"X-Forwarded-For": "192.0.2.1, 203.0.113.66"}
    assert proxy.get(verification_url, headers=forged).status_code == 429


def test_without_a_trusted_proxy_a_forged_header_does_not_reset_the_verification_limit(
    client, verification_url
):
    from patients.views.travel import VERIFY_RATE

    for n in range(VERIFY_RATE):
        client.get(verification_url, headers={"X-Forwarded-For": f"192.0.2.{n}"})
    forged = client.get(verification_url, headers={"X-Forwarded-For": "192.0.2.250"})
    assert forged.status_code == 429


def test_the_shared_cache_check_names_a_process_local_cache(settings):
    from patients.signin_limits import shared_cache_check

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [error.id for error in shared_cache_check()] == ["patients.E017"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/9",
        }
    }
    assert shared_cache_check() == []


# --- 5. Editing a trip without change changes nothing --------------------------------------------


def test_the_trip_form_shows_the_stored_passport_name_and_a_plain_save_revokes_nothing(
    patient_client, patient, verification_url
):
    # Before: the form showed the account's display name ("Camille") instead of the stored
    # "Camille Martin"; saving it unchanged replaced the name and revoked the approved letter.
    from patients.models import Letter, Trip

    trip = Trip.objects.get()
    page = patient_client.get(f"/en/trips/{trip.pk}/edit/")
    form = page.context["form"]
    assert form["traveller_name"].value() == "Camille Martin"
    assert 'value="Camille Martin"' in page.content.decode()
    data = {
        name: ("" if form[name].value() is None else form[name].value()) for name in form.fields
    }
    before = Trip.objects.values().get()
    response = patient_client.post(f"/en/trips/{trip.pk}/edit/", data)
    assert response.status_code == 302
    assert Trip.objects.values().get() == before
    assert Letter.objects.get().revoked_at is None
    assert patient_client.get(verification_url).status_code == 200


# --- 6. One Message-ID per reminder, for all its attempts ----------------------------------------


def test_every_attempt_of_one_reminder_carries_the_same_message_id(
    treatment, django_capture_on_commit_callbacks
):
    # Before: Django gave each attempt a new Message-ID, so a reminder re-sent after a worker
    # died mid-send arrived as two distinct messages (42 for 40 reminders).
    from datetime import UTC, date, datetime

    from django.core import mail

    from patients.models import Reminder, State
    from patients.reminders.channels.email import message_id_of
    from patients.reminders.delivery import deliver_reminders, dispatch_reminders
    from patients.reminders.scan import queue_due_reminders
    from tests.factories import log_dose

    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    now = datetime(2027, 3, 27, 8, 1, tzinfo=UTC)
    queue_due_reminders(now=now)
    with django_capture_on_commit_callbacks(execute=False):
        dispatch_reminders(now=now)
    reminder = Reminder.objects.get(channel="email")
    assert deliver_reminders(reminder_ids=[reminder.pk], now=now) == ["sent"]
    # The worker died before writing "sent": the claim times out and the reminder goes again.
    Reminder.objects.filter(pk=reminder.pk).update(state=State.SENDING)
    deliver_reminders(reminder_ids=[reminder.pk], now=now)
    ids = [message.extra_headers.get("Message-ID") for message in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1] == message_id_of(reminder)
    assert ids[0] in mail.outbox[0].message().as_string()


def test_two_reminders_have_two_opaque_message_ids(patient):
    from patients.models import Reminder
    from patients.reminders.channels.email import message_id_of

    first, second = Reminder(pk=1, patient=patient), Reminder(pk=2, patient=patient)
    assert message_id_of(first) != message_id_of(second)
    assert message_id_of(first).startswith("<reminder.") and "@" in message_id_of(first)
    assert ".1@" not in message_id_of(first)


# --- 10. The admin: staff reading health data is recorded; the access record is append-only ---


def test_staff_opening_a_treatment_in_the_admin_is_in_the_patients_access_record(
    admin_client, admin_user, patient, treatment
):
    # Before: the admin read the treatment and the patient's record said nothing.
    from patients.models import AccessAction, AccessEvent

    assert admin_client.get(f"/admin/patients/treatment/{treatment.pk}/change/").status_code == 200
    event = AccessEvent.objects.get(patient=patient)
    assert (event.actor, event.action) == (admin_user, AccessAction.VIEWED_RECORD)
    assert admin_client.get("/admin/patients/treatment/").status_code == 200
    assert AccessEvent.objects.filter(patient=patient, action=AccessAction.LISTED).count() == 1
    page = admin_client.get("/admin/patients/injection/")
    assert page.status_code == 200


def test_not_even_a_superuser_deletes_or_changes_the_access_record(admin_client, patient):
    # Before: a superuser could delete entries (one by one or with the list's action).
    from patients.models import AccessAction, AccessEvent

    event = AccessEvent.objects.create(
        patient=patient, actor_name="Dr X", action=AccessAction.VIEWED_RECORD, at=timezone.now()
    )
    assert admin_client.get(f"/admin/patients/accessevent/{event.pk}/delete/").status_code == 403
    assert (
        admin_client.post(f"/admin/patients/accessevent/{event.pk}/delete/", {"post": "yes"})
    ).status_code == 403
    bulk = admin_client.post(
        "/admin/patients/accessevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AccessEvent.objects.filter(pk=event.pk).exists()
    listing = admin_client.get("/admin/patients/accessevent/").content.decode()
    assert "delete_selected" not in listing


# --- 9. The GDPR export: drafts, share links, log-in records -------------------------------------


def test_the_export_holds_draft_checklists_share_links_and_log_in_records(
    client, patient, clinician, catalogue
):
    # Before: only shared checklists, no share links, no log-in records.
    import json

    from axes.models import AccessAttempt

    from patients.checklist_links import create_share_link
    from patients.checklists import create_checklist, share_checklist
    from therapies.models import Drug

    now = timezone.now()
    draft = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="guselkumab"), clinician=clinician, now=now
    )
    shared = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    share_checklist(checklist=shared, actor=clinician, now=now)
    create_share_link(checklist=shared, days=7, actor=patient, now=now)
    client.post("/en/accounts/login/", {"username": "camille@example.com", "password": "wrong"})
    browser = {"User-Agent": "Camille's browser"}
    response = client.post(
        "/en/accounts/login/",
        {"username": "camille@example.com", "password": "a-long-test-password"},
        headers=browser,
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()  # reset on success (AXES_RESET_ON_SUCCESS)
    client.post(
        "/en/accounts/login/", {"username": "Camille@example.com", "password": "wrong"}
    )  # signed in already: the form still counts
    data = json.loads(client.get("/en/my-data/export.json").content)
    by_id = {c["id"]: c for c in data["checklists"]}
    assert by_id[draft.pk]["draft"] is True and by_id[shared.pk]["draft"] is False
    [link] = by_id[shared.pk]["share_links"]
    assert set(link) == {"created_at", "expires_at", "revoked_at"}
    [record] = data["login_records"]
    assert record["ip_address"] == "127.0.0.1"
    assert record["user_agent"] == "Camille's browser" and record["at"]
    assert all(key in data for key in ("failed_logins",))


# --- 8. Erasing a clinician: the delete page says what stays, and why ---------------------------


def test_a_clinicians_delete_page_says_their_name_stays_on_approved_letters(client, clinician):
    # Before: the page listed only what is erased; the verification page went on naming the
    # erased clinician without the page having said so.
    from tests.support import sign_in

    page = sign_in(client, clinician).get("/en/accounts/delete/").content.decode()
    assert 'id="kept-in-letters"' in page
    assert "registration number" in page and "public verification page" in page


def test_a_patients_delete_page_does_not_speak_of_letters_they_signed(patient_client):
    page = patient_client.get("/en/accounts/delete/").content.decode()
    assert 'id="kept-in-letters"' not in page


# --- 12. The calendar feed ------------------------------------------------------------------------


def calendar_of(client, patient, method="get"):
    from patients.models import ReminderSettings

    token = ReminderSettings.objects.get_or_create(patient=patient)[0].calendar_token
    return getattr(client, method)(f"/calendar/{token}.ics")


@pytest.mark.now(datetime(2027, 2, 10, 12, tzinfo=UTC))
def test_the_calendar_alarms_fire_at_the_home_zone_hour_and_the_overdue_dose_is_there(
    client, treatment
):
    # Before: floating all-day events with relative triggers (09:00 wherever the device is),
    # no overdue dose, "dose-<treatment id>-<n>" as UID.
    from icalendar import Calendar

    from tests.factories import log_dose

    treatment.patient.time_zone = "America/New_York"
    treatment.patient.save()
    log_dose(treatment, 1, date(2027, 1, 4))  # dose 2 (1 February) is overdue on 10 February
    response = calendar_of(client, treatment.patient)
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert events[0].decoded("dtstart") == date(2027, 2, 1)  # the overdue dose
    assert list(events[0].walk("VALARM")) == []  # its alarms are past
    dose_3 = events[1]
    assert dose_3.decoded("dtstart") == date(2027, 3, 29)
    triggers = sorted(a.decoded("trigger") for a in dose_3.walk("VALARM"))
    # 09:00 in New York: 14:00 UTC before 14 March (EST), 13:00 UTC after (EDT).
    assert triggers == [
        datetime(2027, 3, 27, 13, tzinfo=UTC),
        datetime(2027, 3, 29, 13, tzinfo=UTC),
    ]
    assert "TRIGGER;VALUE=DATE-TIME:20270327T130000Z" in response.content.decode()
    uids = [str(e["uid"]) for e in events]
    assert all(f"-{treatment.pk}-" not in uid and "dose" not in uid for uid in uids)
    assert len(set(uids)) == len(uids)
    again = Calendar.from_ical(calendar_of(client, treatment.patient).content).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == uids  # stable from one fetch to the next


def test_head_on_the_calendar_feed_answers_like_get_without_a_body(client, treatment):
    # Before: 405.
    get, head = (
        calendar_of(client, treatment.patient),
        calendar_of(client, treatment.patient, "head"),
    )
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"] == "text/calendar; charset=utf-8"
    assert int(head["Content-Length"]) > 0


def test_the_settings_page_tells_iphone_users_how_to_keep_the_alarms(patient_client):
    page = patient_client.get("/en/reminders/").content.decode()
    assert 'id="iphone-alerts"' in page and "Remove Alerts" in page


# --- 3. Sign-up and password reset: tests/security/test_signup_private.py ------------------------


# --- 11. One "discreet" choice covers every channel ---------------------------------------------


@pytest.mark.parametrize(
    "kind_at",
    [("upcoming", datetime(2027, 3, 27, 8, 1, tzinfo=UTC)), ("overdue", None)],
)
def test_discreet_reminder_e_mails_and_notifications_name_no_medicine(
    patient_client, treatment, kind_at
):
    # Before: the e-mail bodies and the notifications named Tremfya (guselkumab) whatever the
    # discreet choice, which covered the calendar only.
    from django.core import mail

    from patients.models import Reminder, ReminderSettings
    from patients.reminders.delivery import email_context
    from patients.reminders.scan import queue_due_reminders
    from tests.factories import log_dose

    ReminderSettings.objects.update_or_create(
        patient=treatment.patient, defaults={"calendar_discreet": True}
    )
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    now = kind_at[1] or datetime(2027, 3, 30, 8, 1, tzinfo=UTC)
    queue_due_reminders(now=now)
    from patients.emails import send_templated_email
    from patients.reminders.registry import kind_spec

    for reminder in Reminder.objects.filter(channel="email"):
        context = email_context(reminder, today=now.date())
        assert context["discreet"] is True
        send_templated_email(
            to="camille@example.com", name=kind_spec(reminder.kind).template, context=context
        )
    assert mail.outbox
    for message in mail.outbox:
        text = message.subject + message.body + message.alternatives[0].content
        assert "Tremfya" not in text and "guselkumab" not in text
        assert "your treatment" in text or "votre traitement" in text
    page = patient_client.get("/en/notifications/").content.decode()
    assert "Tremfya" not in page and "guselkumab" not in page
    assert "of your treatment" in page


def test_without_discreet_the_e_mail_names_the_medicine(treatment):
    from patients.models import Reminder, ReminderSettings
    from patients.reminders.delivery import email_context
    from patients.reminders.scan import queue_due_reminders
    from tests.factories import log_dose

    ReminderSettings.objects.update_or_create(
        patient=treatment.patient, defaults={"calendar_discreet": False}
    )
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    queue_due_reminders(now=datetime(2027, 3, 27, 8, 1, tzinfo=UTC))
    reminder = Reminder.objects.filter(channel="email").first()
    assert email_context(reminder, today=date(2027, 3, 27))["discreet"] is False
