"""A person's rights over their data: the export (JSON and PDF), account erasure, and how long
the access record is kept."""

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from config.celery import app as celery_app
from patients import tasks
from patients.care import create_invitation, record_access
from patients.checklists import create_checklist, mark_done, share_checklist
from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    Channel,
    Checklist,
    ChecklistEvent,
    ChecklistItem,
    ChecklistShareLink,
    ClinicianProfile,
    DoseOverride,
    Injection,
    Invitation,
    Kind,
    Letter,
    Reminder,
    ReminderSettings,
    State,
    StockDelivery,
    Treatment,
    Trip,
    User,
)
from patients.privacy import erasure, retention
from patients.reminders.delivery import deliver_reminders
from patients.travel.letters import approve_letter
from patients.travel.trips import plan_trip
from patients.treatments.writes import move_dose, record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in
from therapies.models import Drug

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 2, 10, 12, tzinfo=UTC)
CAMILLE_NOTE = "camille-note-bruise-5521"
CAMILLE_DIAGNOSIS = "camille-diagnosis-hidradenitis-7710"
OTHER_NOTE = "ondine-note-rash-3398"
OTHER_DIAGNOSIS = "ondine-diagnosis-uveitis-6604"


def fill(patient, clinician, *, note: str, diagnosis: str, drug: str = "guselkumab"):
    """A patient with one of everything: a treatment with two injections (a note on each),
    stock, a dose moved by her clinician, reminder settings and reminders, a care link, an
    invitation, a shared checklist with a note, a trip with an approved letter, access events."""
    now = timezone.now()
    if not CareLink.objects.active().filter(patient=patient, clinician=clinician).exists():
        CareLink.objects.create(patient=patient, clinician=clinician)
    treatment = TreatmentFactory(patient=patient, drug_inn=drug, first_dose_on=date(2027, 1, 4))
    first = log_dose(treatment, 1, date(2027, 1, 4), time(8, 30), note=note)
    log_dose(treatment, 2, date(2027, 2, 1), note=f"{note}-second")
    record_delivery(treatment=treatment, received_on=date(2027, 1, 2), devices=3)
    move_dose(treatment=treatment, dose_number=3, on=date(2027, 3, 30), by=clinician)
    ReminderSettings.objects.update_or_create(patient=patient, defaults={"lead_days": [1]})
    Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=3,
        about_date=date(2027, 3, 30),
        kind=Kind.UPCOMING_DOSE,
        occurrence="dose-3:lead-1",
        channel=Channel.EMAIL,
        due_at=now + timedelta(days=10),
    )
    Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=2,
        about_date=date(2027, 2, 1),
        kind=Kind.UPCOMING_DOSE,
        occurrence="dose-2:lead-1",
        channel=Channel.IN_APP,
        state=State.SENT,
        due_at=now - timedelta(days=10),
        sent_at=now - timedelta(days=10),
    )
    create_invitation(by=patient, now=now)
    checklist = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    share_checklist(checklist=checklist, actor=clinician, now=now)
    item = ChecklistItem.objects.get(checklist=checklist, key="chest_xray")
    mark_done(item=item, done_on=now.date(), note=f"{note}-xray", actor=patient, now=now)
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=date(2027, 3, 20),
        returns_on=date(2027, 4, 2),
        traveller_name=patient.display_name,
        diagnosis=diagnosis,
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    record_access(patient=patient, actor=clinician, action=AccessAction.VIEWED_RECORD, now=now)
    return SimpleNamespace(
        treatment=treatment, injection=first, checklist=checklist, trip=trip, letter=letter
    )


@pytest.fixture
def world(patient, other_patient, clinician, stranger_clinician, catalogue):
    with time_machine.travel(NOW, tick=False):
        mine = fill(patient, clinician, note=CAMILLE_NOTE, diagnosis=CAMILLE_DIAGNOSIS)
        theirs = fill(
            other_patient,
            stranger_clinician,
            note=OTHER_NOTE,
            diagnosis=OTHER_DIAGNOSIS,
            drug="secukinumab",
        )
    return SimpleNamespace(mine=mine, theirs=theirs)


def signed_in(user) -> Client:
    return sign_in(Client(), user)


def download(client, name: str):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment;")
    return response


def export_of(client) -> dict:
    response = download(client, "patients:export_json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def pdf_text(content: bytes) -> str:
    """The report's text without any white space: a line may break anywhere in a long note."""
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def squeezed(text: str) -> str:
    return "".join(text.split())


# --- Export --------------------------------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_json_export_holds_all_of_the_patients_data_in_the_documented_shape(
    world, patient, patient_client
):
    data = export_of(patient_client)

    assert data["format"] == "interleukin-care-export/1"
    assert data["exported_at"] == "2027-02-10T12:00:00Z"
    assert data["time_zone"] == "Europe/Paris"
    account = data["account"]
    assert account["email"] == "camille@example.com"
    assert account["display_name"] == "Camille"
    assert (account["language"], account["time_zone"]) == ("fr", "Europe/Paris")
    assert set(account) >= {"health_data_consent_at", "privacy_notice_version"}

    [treatment] = data["treatments"]
    assert treatment["drug"] == {"inn": "guselkumab", "brand_names": ["Tremfya"]}
    assert {"condition", "device"} <= set(treatment)  # issue 16: the condition and the device
    first, second = treatment["injections"]
    # 08:30 in Paris in winter is 07:30 UTC: both are given.
    assert first["taken_at"] == "2027-01-04T07:30:00Z"
    assert first["taken_at_local"] == "2027-01-04T08:30:00+01:00"
    assert first["note"] == CAMILLE_NOTE and second["note"] == f"{CAMILLE_NOTE}-second"
    assert treatment["stock_deliveries"][0]["devices"] == 3
    assert treatment["dose_overrides"] == [
        {"dose_number": 3, "date": "2027-03-30", "created_at": "2027-02-10T12:00:00Z"}
    ]
    assert data["reminder_settings"]["lead_days"] == [1]
    assert {(r["channel"], r["state"]) for r in data["reminders"]} >= {
        ("email", "pending"),
        ("in_app", "sent"),
    }
    assert data["care_links"][0]["clinician"]["name"] == "Dr House"
    assert data["invitations"][0]["direction"] == "to_clinician"
    [checklist] = data["checklists"]
    assert f"{CAMILLE_NOTE}-xray" in [item["done_note"] for item in checklist["items"]]
    assert {event["action"] for event in checklist["events"]} >= {"created", "shared", "done"}
    [trip] = data["trips"]
    assert trip["diagnosis"] == CAMILLE_DIAGNOSIS and trip["destination"] == "JP"
    [letter] = trip["letters"]
    assert letter["content"]["diagnosis"] == CAMILLE_DIAGNOSIS  # the frozen, approved content
    assert letter["content"]["prescriber"]["name"] == "Dr House"
    assert {e["action"] for e in data["access_log"]} >= {"viewed_record", "approved_letter"}


@pytest.mark.now(NOW)
def test_the_export_leaves_out_secrets(world, patient, patient_client):
    raw = download(patient_client, "patients:export_json").content.decode()
    patient.refresh_from_db()
    secrets = [
        patient.password,
        ReminderSettings.objects.get(patient=patient).calendar_token,
        world.mine.letter.token,
        *Invitation.objects.filter(created_by=patient).values_list("code_digest", flat=True),
    ]
    assert not [secret for secret in secrets if secret in raw]


@pytest.mark.now(datetime(2027, 2, 10, 23, 30, tzinfo=UTC))
def test_the_file_is_named_after_the_day_in_the_patients_zone(patient, patient_client):
    """23:30 UTC on the 10th is already the 11th in Paris."""
    for name, extension in (("patients:export_json", "json"), ("patients:export_pdf", "pdf")):
        response = download(patient_client, name)
        assert response["Content-Disposition"] == (
            f'attachment; filename="interleukin-care-export-2027-02-11.{extension}"'
        )


@pytest.mark.now(NOW)
def test_the_export_holds_nothing_of_another_patient(world, patient_client):
    raw = download(patient_client, "patients:export_json").content.decode()
    report = pdf_text(download(patient_client, "patients:export_pdf").content)
    for content in (squeezed(raw), report):
        assert CAMILLE_NOTE in content and CAMILLE_DIAGNOSIS in content  # not vacuous
        for marker in (OTHER_NOTE, OTHER_DIAGNOSIS, "Ondine", "other@example.com", "DrWho"):
            assert marker not in content
        assert "Cosentyx" not in content  # the other patient's medicine


@pytest.mark.now(NOW)
def test_a_clinician_exports_their_own_account_and_nothing_of_their_patients(world, clinician):
    client = signed_in(clinician)
    data = export_of(client)
    assert data["account"]["email"] == "dr@example.com"
    assert data["account"]["clinician_profile"]["registration_number"] == "10001234567"
    assert data["treatments"] == data["trips"] == data["checklists"] == data["access_log"] == []
    raw = json.dumps(data)
    for marker in ("Camille", "camille@example.com", CAMILLE_NOTE, CAMILLE_DIAGNOSIS):
        assert marker not in raw
    report = pdf_text(download(client, "patients:export_pdf").content)
    assert "DrHouse" in report and "Camille" not in report


def queries_of(client, name: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        download(client, name)
    return len(queries)


@pytest.mark.now(NOW)
@pytest.mark.parametrize("name", ["patients:export_json", "patients:export_pdf"])
def test_the_export_takes_the_same_number_of_queries_whatever_the_amount_of_data(
    patient, clinician, patient_client, catalogue, name
):
    fill(patient, clinician, note="one", diagnosis="one")
    few = queries_of(patient_client, name)

    for inn in ("risankizumab", "ixekizumab"):  # two more treatments, with more of everything
        more = fill(patient, clinician, note=inn, diagnosis=inn, drug=inn)
        for number in range(3, 6):
            log_dose(more.treatment, number, date(2027, 1, 4) + timedelta(days=number))
        plan_trip(
            patient=patient,
            now=timezone.now(),
            destination="US",
            destination_time_zone="America/New_York",
            departs_on=date(2027, 5, 1),
            returns_on=date(2027, 5, 9),
            traveller_name="Camille",
        )
    assert Treatment.objects.filter(patient=patient).count() == 3
    assert Trip.objects.filter(patient=patient).count() == 5
    assert queries_of(patient_client, name) == few


@pytest.mark.now(NOW)
def test_the_report_is_an_accessible_a4_pdf_in_the_patients_language_and_zone(
    world, patient, patient_client
):
    patient.language = "en"
    patient.time_zone = "America/New_York"
    patient.save(update_fields=["language", "time_zone"])
    content = download(patient_client, "patients:export_pdf").content
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "en"  # tagged (PDF/UA-1)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (
        210,
        297,
    )
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Letter-Sans" in name for name in fonts), fonts  # the letters' fonts
    text = pdf_text(content)
    assert "MydatainInterleukinCare" in text
    # Dose 1 was taken at 07:30 UTC: 02:30 in New York.
    assert "4January2027,02:30" in text
    assert CAMILLE_NOTE in text and CAMILLE_DIAGNOSIS in text
    assert "Tremfya" in text and "DrHouse" in text


@pytest.mark.now(NOW)
def test_a_french_patient_gets_the_report_in_french(world, patient, patient_client):
    content = download(patient_client, "patients:export_pdf").content
    assert PdfReader(io.BytesIO(content)).trailer["/Root"]["/Lang"] == "fr"
    text = pdf_text(content)
    assert "4janvier202708:30" in text  # Django's French date format, in Paris time
    assert "Quiaconsultémesdonnées" in text


@pytest.mark.now(NOW)
def test_the_export_page_offers_both_files_in_a_fixed_number_of_queries(
    patient, clinician, patient_client
):
    with CaptureQueriesContext(connection) as empty:
        patient_client.get("/en/my-data/")
    fill(patient, clinician, note="one", diagnosis="one")
    with CaptureQueriesContext(connection) as full:
        response = patient_client.get("/en/my-data/")
    assert len(full) == len(empty)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'href="/en/my-data/export.json"' in page and 'href="/en/my-data/export.pdf"' in page
    assert 'href="/en/my-data/"' in patient_client.get("/en/accounts/profile/").content.decode()


def test_the_export_is_for_signed_in_people_only(client, catalogue):
    for name in ("patients:export", "patients:export_json", "patients:export_pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Erasure -------------------------------------------------------------------------------------


def rows_of(user: User) -> dict[str, set[int]]:
    """The primary keys of every row that belongs to `user`, model by model."""
    by_patient = {
        Treatment: "patient",
        Injection: "treatment__patient",
        StockDelivery: "treatment__patient",
        DoseOverride: "treatment__patient",
        ReminderSettings: "patient",
        Reminder: "patient",
        CareLink: "patient",
        Invitation: "created_by",
        Checklist: "patient",
        ChecklistItem: "checklist__patient",
        ChecklistEvent: "checklist__patient",
        ChecklistShareLink: "checklist__patient",
        Trip: "patient",
        Letter: "trip__patient",
        ClinicianProfile: "user",
    }
    rows = {
        model.__name__: set(model.objects.filter(**{path: user}).values_list("pk", flat=True))
        for model, path in by_patient.items()
    }
    rows["CareLink (as clinician)"] = set(
        CareLink.objects.filter(clinician=user).values_list("pk", flat=True)
    )
    return rows


def remaining(rows: dict[str, set[int]]) -> dict[str, int]:
    models = {
        model.__name__: model
        for model in (
            Treatment,
            Injection,
            StockDelivery,
            DoseOverride,
            ReminderSettings,
            Reminder,
            CareLink,
            Invitation,
            Checklist,
            ChecklistItem,
            ChecklistEvent,
            ChecklistShareLink,
            Trip,
            Letter,
            ClinicianProfile,
        )
    }
    models["CareLink (as clinician)"] = CareLink
    counts = {name: models[name].objects.filter(pk__in=pks).count() for name, pks in rows.items()}
    return {name: count for name, count in counts.items() if count}


def delete_through_the_page(client) -> None:
    response = client.post("/en/accounts/delete/", {"password": "a-long-test-password"})
    assert response.status_code == 302


@pytest.mark.now(NOW)
def test_deleting_an_account_erases_every_row_of_the_patient_and_no_one_elses(
    world, patient, other_patient
):
    from patients.checklist_links import create_share_link

    create_share_link(checklist=world.mine.checklist, days=7, actor=patient, now=timezone.now())
    mine, theirs = rows_of(patient), rows_of(other_patient)
    assert all(
        mine[name] for name in mine if name not in {"ClinicianProfile", "CareLink (as clinician)"}
    )
    letter_token = world.mine.letter.token
    patient_id = patient.pk

    delete_through_the_page(signed_in(patient))

    assert not User.objects.filter(pk=patient_id).exists()
    assert remaining(mine) == {}
    assert rows_of(other_patient) == theirs
    assert Client().get(f"/en/verify/{letter_token}/").status_code == 404
    assert Client().get(f"/en/verify/{world.theirs.letter.token}/").status_code == 200


@pytest.mark.now(NOW)
def test_the_access_log_keeps_the_deleted_patients_entries_under_a_pseudonym(world, patient):
    patient_id = patient.pk
    events = set(AccessEvent.objects.filter(patient=patient).values_list("pk", flat=True))
    assert len(events) >= 2  # the record viewed, the letter approved

    delete_through_the_page(signed_in(patient))

    kept = AccessEvent.objects.filter(pk__in=events)
    assert kept.count() == len(events)
    alias = erasure.pseudonym(patient_id)
    for event in kept:
        assert event.patient_id is None and event.patient_pseudonym == alias
        values = " ".join(str(value) for value in vars(event).values())
        assert "Camille" not in values and "camille@example.com" not in values
    assert len(alias) == 64 and str(patient_id) != alias
    assert erasure.pseudonym(patient_id + 1) != alias  # one per person


@pytest.mark.now(NOW)
def test_a_clinician_who_deletes_their_account_stays_in_the_log_as_a_pseudonym(
    world, patient, clinician, patient_client
):
    clinician_id = clinician.pk
    events = list(AccessEvent.objects.filter(actor=clinician).values_list("pk", flat=True))

    delete_through_the_page(signed_in(clinician))

    for event in AccessEvent.objects.filter(pk__in=events):
        assert event.patient_id == patient.pk  # still the patient's record
        assert (event.actor_id, event.actor_name) == (None, "")
        assert event.actor_pseudonym == erasure.pseudonym(clinician_id)
    page = patient_client.get("/en/care/access/").content.decode()
    assert "A clinician whose account is closed" in page
    assert "Dr House" not in page
    assert not CareLink.objects.filter(clinician_id=clinician_id).exists()
    assert not ClinicianProfile.objects.filter(user_id=clinician_id).exists()


@pytest.mark.now(NOW)
def test_deleting_an_account_signs_the_person_out_everywhere(patient, other_patient):
    laptop, phone, someone_else = signed_in(patient), signed_in(patient), signed_in(other_patient)
    assert Session.objects.count() == 3

    delete_through_the_page(laptop)

    assert Session.objects.count() == 1  # only the other patient's
    response = phone.get("/en/accounts/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert someone_else.get("/en/accounts/profile/").status_code == 200


@pytest.mark.now(NOW)
def test_a_reminder_already_handed_to_the_worker_is_not_sent_after_deletion(world, patient):
    """The worker may hold the id of a claimed e-mail: once the account is gone, it finds no
    row and sends nothing."""
    reminder = Reminder.objects.filter(patient=patient, channel=Channel.EMAIL).first()
    Reminder.objects.filter(pk=reminder.pk).update(state=State.SENDING, claimed_at=NOW)

    delete_through_the_page(signed_in(patient))

    mail.outbox.clear()
    assert deliver_reminders(reminder_ids=[reminder.pk], now=NOW) == ["skipped"]
    assert mail.outbox == []


def test_the_deletion_page_says_what_is_erased_and_what_is_kept(patient_client, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 200
    page = patient_client.get("/en/accounts/delete/").content.decode()
    assert "What is erased" in page and "What is kept" in page
    assert "trips and travel letters" in page
    assert "200 days" in page
    assert 'href="/en/my-data/"' in page


def test_a_wrong_password_erases_nothing(patient, patient_client):
    response = patient_client.post("/en/accounts/delete/", {"password": "not my password"})
    assert response.status_code == 200
    assert "This is not your password." in response.content.decode()
    assert User.objects.filter(pk=patient.pk).exists()


# --- Retention -----------------------------------------------------------------------------------


def event_at(patient, clinician, moment: datetime) -> AccessEvent:
    return AccessEvent.objects.create(
        patient=patient,
        actor=clinician,
        actor_name="Dr House",
        action=AccessAction.VIEWED_RECORD,
        at=moment,
    )


def test_the_daily_task_deletes_entries_past_a_year_and_keeps_younger_ones(patient, clinician):
    now = datetime(2027, 6, 1, 3, 17, tzinfo=UTC)
    kept = event_at(patient, clinician, now - timedelta(days=364))
    gone = event_at(patient, clinician, now - timedelta(days=366))
    with time_machine.travel(now, tick=False):
        tasks.purge_access_log()
    assert AccessEvent.objects.filter(pk=kept.pk).exists()
    assert not AccessEvent.objects.filter(pk=gone.pk).exists()


def test_the_retention_setting_is_honoured(patient, clinician, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    now = datetime(2027, 6, 1, tzinfo=UTC)
    kept = event_at(patient, clinician, now - timedelta(days=29))
    gone = event_at(patient, clinician, now - timedelta(days=31))
    assert retention.purge_access_log(now=now) == 1
    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert gone.pk not in AccessEvent.objects.values_list("pk", flat=True)


def test_the_purge_works_in_batches_until_nothing_old_is_left(patient, clinician):
    now = datetime(2027, 6, 1, tzinfo=UTC)
    for days in range(400, 405):
        event_at(patient, clinician, now - timedelta(days=days))
    young = event_at(patient, clinician, now - timedelta(days=1))
    assert retention.purge_access_log(now=now, batch_size=2) == 5
    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [young.pk]


def test_the_command_purges_and_says_how_many(patient, clinician, capsys):
    now = datetime(2027, 6, 1, tzinfo=UTC)
    event_at(patient, clinician, now - timedelta(days=366))
    with time_machine.travel(now, tick=False):
        call_command("purge_access_log")
    assert "1 access-log entries older than 365 days deleted." in capsys.readouterr().out
    assert not AccessEvent.objects.exists()


def test_the_daily_task_also_clears_expired_sessions(patient, other_patient):
    signed_in(patient)
    expired = signed_in(other_patient).session.session_key
    Session.objects.filter(session_key=expired).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    tasks.purge_access_log()
    assert list(Session.objects.values_list("session_key", flat=True)) != []
    assert not Session.objects.filter(session_key=expired).exists()


def test_beat_runs_the_purge_every_day(settings):
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "patients.tasks.purge_access_log"
    ]
    assert entry["task"] in celery_app.tasks
    schedule = entry["schedule"]
    assert len(schedule.hour) == 1 and len(schedule.minute) == 1
    assert len(schedule.day_of_week) == 7 and len(schedule.day_of_month) == 31


def test_the_access_log_page_says_how_long_entries_are_kept(patient_client, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 90
    page = patient_client.get("/en/care/access/").content.decode()
    assert "Each entry is kept for 90 days, then deleted." in page


def test_deleting_an_account_deletes_its_log_in_records_and_no_one_elses(patient, other_patient):
    from axes.models import AccessAttempt, AccessLog

    for user in (patient, other_patient):
        AccessLog.objects.create(username=user.email.upper(), ip_address="192.0.2.1")
        AccessAttempt.objects.create(
            username=user.email, ip_address="192.0.2.1", user_agent="x", failures_since_start=1
        )
    erasure.erase_account(user=patient)
    assert not AccessLog.objects.filter(username__iexact=patient.email).exists()
    assert not AccessAttempt.objects.filter(username__iexact=patient.email).exists()
    assert AccessLog.objects.filter(username__iexact=other_patient.email).count() == 1
    assert AccessAttempt.objects.filter(username__iexact=other_patient.email).count() == 1


def test_the_daily_task_deletes_log_in_records_past_their_retention(patient, settings):
    from axes.models import AccessLog

    settings.LOGIN_LOG_RETENTION_DAYS = 90
    now = datetime(2027, 6, 1, 3, 17, tzinfo=UTC)
    kept, gone = (
        AccessLog.objects.create(username=patient.email, ip_address="192.0.2.1") for _ in range(2)
    )
    # attempt_time is auto_now_add: set the ages afterwards.
    AccessLog.objects.filter(pk=kept.pk).update(attempt_time=now - timedelta(days=89))
    AccessLog.objects.filter(pk=gone.pk).update(attempt_time=now - timedelta(days=91))
    with time_machine.travel(now, tick=False):
        tasks.purge_access_log()
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [kept.pk]
