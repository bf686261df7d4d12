"""The export leaves no table of a person's data out, in the JSON and in the PDF (issue 17,
item 9, and what came since: packs, the journal, the visit preparation, push devices), and the
erasure takes every such row.

The walk: every model with a foreign key to the person (directly, or through models that have
one), and every model keyed by the person's e-mail (django-axes). Each must be in
patients.privacy.sections.EXPORTED (the JSON key holding its rows) or NOT_EXPORTED (why not):
a feature that adds a table of personal data without deciding fails here.
"""

import io
import json
from datetime import time, timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from patients.care import create_invitation, record_access
from patients.checklist_links import create_share_link
from patients.checklists import create_checklist
from patients.models import (
    AccessAction,
    Channel,
    FlagReason,
    JournalEntry,
    JournalFlag,
    JournalShare,
    Kind,
    PushSubscription,
    Reminder,
    ReminderSettings,
    ScoreSet,
    User,
    VisitPreparation,
)
from patients.privacy.sections import EXPORTED, NOT_EXPORTED
from patients.travel.letters import approve_letter
from patients.travel.trips import plan_trip
from patients.treatments.writes import move_dose, record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in
from therapies.models import Drug

pytestmark = pytest.mark.django_db

USER = User._meta.label
# Rows kept under the person's e-mail rather than a foreign key, and the session table, whose
# rows name the person inside their encoded data.
KEYED_BY_EMAIL = {"axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog"}
ALSO_PERSONAL = {"sessions.Session"}


def links_to_user(model, depth: int = 4) -> list[str]:
    """The lookups from `model` to a User through foreign keys ("treatment__patient"), or to
    a model keyed by e-mail ("access_attempt")."""
    if depth == 0:
        return []
    found = []
    for field in model._meta.get_fields():
        if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)):
            continue
        target = field.related_model
        if target is None or target is model:
            continue
        if target._meta.label == USER or target._meta.label in KEYED_BY_EMAIL:
            found.append(field.name)
        else:
            found += [f"{field.name}__{rest}" for rest in links_to_user(target, depth - 1)]
    return found


def personal_models() -> set[str]:
    return {
        model._meta.label
        for model in apps.get_models()
        if model._meta.label != USER
        and (links_to_user(model) or model._meta.label in KEYED_BY_EMAIL | ALSO_PERSONAL)
    } | {USER}


def test_every_model_holding_a_persons_data_is_exported_or_excluded_with_a_reason():
    walked = personal_models()
    decided = set(EXPORTED) | set(NOT_EXPORTED)
    assert not set(EXPORTED) & set(NOT_EXPORTED)
    assert walked - decided == set(), "add these to sections.EXPORTED or NOT_EXPORTED"
    assert decided - walked == set(), "no longer personal data: remove from the lists"
    assert all(len(reason) > 20 for reason in NOT_EXPORTED.values())
    # The catalogue and the articles are nobody's data: the walk does not take them.
    assert not {"therapies.Drug", "content.Article"} & walked


def test_the_walk_sees_a_model_reached_only_through_another():
    """The test above would be blind to, say, a pack (no key to the person, only to the
    treatment) if the walk stopped at direct keys."""
    pack = apps.get_model("patients", "StockDelivery")
    assert links_to_user(pack) == ["treatment__patient"]
    assert "otp_static.StaticToken" in personal_models()


# --- One of everything, in the JSON and in the PDF ---------------------------------------------

PACK_BATCH = "LOT-A7731"
PACK_GTIN = "05000456012346"
PUSH_LABEL = "Pixel of Camille"
PUSH_ENDPOINT = "https://push.example/secret-endpoint-8841"
QUESTIONS = "question-about-vaccines-2290"
JOURNAL_NOTE = "journal-note-itchy-elbow-6610"
DELETED_NOTE = "journal-note-deleted-4471"
LOGIN_AGENT = "MarkerBrowser/7.3"
FAILED_AGENT = "FailedBrowser/2.1"


@pytest.fixture
def everything(patient, clinician, care_link):
    now = timezone.now()
    today = now.date()
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab")
    pack = record_delivery(
        treatment=treatment,
        received_on=today - timedelta(days=3),
        devices=2,
        batch=PACK_BATCH,
        expires_on=today + timedelta(days=200),
        gtin=PACK_GTIN,
    )
    injection = log_dose(treatment, 1, treatment.first_dose_on, time(9), pack=pack)
    JournalEntry.objects.create(
        patient=patient, treatment=treatment, occurred_on=today, note=JOURNAL_NOTE
    )
    JournalEntry.objects.create(
        patient=patient, occurred_on=today, note=DELETED_NOTE, deleted_at=now
    )
    ScoreSet.objects.create(patient=patient, recorded_on=today, itch=7, skin_palms=3)
    JournalShare.objects.create(patient=patient, clinician=clinician, shared=True, decided_at=now)
    JournalFlag.objects.create(
        patient=patient,
        clinician=clinician,
        reason=FlagReason.choices[0][0],
        key="marker",
        about_date=today,
        raised_at=now,
    )
    VisitPreparation.objects.create(patient=patient, questions=QUESTIONS)
    PushSubscription.objects.create(
        patient=patient, endpoint=PUSH_ENDPOINT, p256dh="p" * 87, auth="a" * 22, label=PUSH_LABEL
    )
    draft = create_checklist(
        patient=patient, drug=Drug.objects.get(inn="secukinumab"), clinician=clinician, now=now
    )
    create_share_link(checklist=draft, days=7, actor=clinician, now=now)
    TOTPDevice.objects.create(user=patient, name="app", confirmed=True)
    codes = StaticDevice.objects.create(user=patient, name="codes")
    StaticToken.objects.create(device=codes, token="secretcode1")
    AccessLog.objects.create(
        username=patient.email, ip_address="203.0.113.7", user_agent=LOGIN_AGENT, attempt_time=now
    )
    AccessAttempt.objects.create(
        username=patient.email,
        ip_address="198.51.100.9",
        user_agent=FAILED_AGENT,
        attempt_time=now,
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    ReminderSettings.objects.create(
        patient=patient, lead_days=[1], by_push=True, injection_time=time(20, 45)
    )
    Reminder.objects.create(
        patient=patient,
        treatment=treatment,
        dose_number=2,
        about_date=today,
        kind=Kind.UPCOMING_DOSE,
        occurrence="dose-2:lead-1",
        channel=Channel.EMAIL,
        due_at=now,
    )
    move_dose(treatment=treatment, dose_number=3, on=today + timedelta(days=90), by=clinician)
    create_invitation(by=patient, now=now)
    trip = plan_trip(
        patient=patient,
        now=now,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=today + timedelta(days=20),
        returns_on=today + timedelta(days=30),
        traveller_name=patient.display_name,
        list_packs=True,
    )
    approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    record_access(patient=patient, actor=clinician, action=AccessAction.VIEWED_RECORD, now=now)
    return {"treatment": treatment, "pack": pack, "injection": injection, "draft": draft}


def pdf_text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def test_the_json_holds_every_kind_of_row_and_no_secret(everything, patient, clinician):
    client = sign_in(Client(), patient)
    raw = client.get("/en/my-data/export.json").content.decode()
    data = json.loads(raw)
    clinician_only = {"patients.ClinicianProfile"}  # in a clinician's own export, below
    for label, key in EXPORTED.items():
        if label in clinician_only:
            continue
        head, _, tail = key.partition(".")
        assert head in data, (label, key)
        assert data[head] not in (None, [], {}), (label, key)
        if tail:
            assert data[head].get(tail) not in (None, [], {}), (label, key)
    [treatment] = data["treatments"]
    [pack] = treatment["stock_deliveries"]
    assert (pack["batch"], pack["gtin"], pack["brand"]) == (PACK_BATCH, PACK_GTIN, "Tremfya")
    assert treatment["injections"][0]["pack"]["batch"] == PACK_BATCH
    assert data["push_devices"] == [
        {
            "label": PUSH_LABEL,
            "created_at": data["push_devices"][0]["created_at"],
            "last_success_at": None,
            "failures": 0,
        }
    ]
    assert data["visit_preparation"]["questions"] == QUESTIONS
    settings_ = data["reminder_settings"]
    assert (settings_["by_push"], settings_["injection_time"]) == (True, "20:45")
    assert settings_["get_ready_by_email"] is False
    assert data["trips"][0]["list_packs"] is True
    notes = {e["note"] for e in data["journal"]["entries"]}
    assert {JOURNAL_NOTE, DELETED_NOTE} <= notes
    assert data["account"]["two_factor"] == {"authenticator_app": True, "recovery_codes_left": 1}
    assert data["login_records"][0]["user_agent"] == LOGIN_AGENT
    assert data["failed_logins"][0]["user_agent"] == FAILED_AGENT
    doctor = json.loads(sign_in(Client(), clinician).get("/en/my-data/export.json").content)
    assert doctor["account"]["clinician_profile"]["specialty"]
    # Secrets: the push endpoint and keys, the recovery code, the share token.
    for secret in (PUSH_ENDPOINT, "p" * 87, "a" * 22, "secretcode1"):
        assert secret not in raw


def test_the_pdf_holds_what_the_json_holds(everything, patient):
    patient.language = "en"
    patient.save(update_fields=["language"])
    client = sign_in(Client(), patient)
    text = pdf_text_of(client.get("/en/my-data/export.pdf").content)
    squeeze = lambda s: "".join(s.split())  # noqa: E731
    for marker in (
        PACK_BATCH,  # the pack, in the stock table and on its injection
        PACK_GTIN,
        PUSH_LABEL,
        QUESTIONS,
        JOURNAL_NOTE,
        DELETED_NOTE,
        LOGIN_AGENT,
        "203.0.113.7",
        FAILED_AGENT,
        "198.51.100.9",
        "Read-only links to this checklist",
        "a draft your specialist started on",
        "Journal shared with",
        "Flags shown to your specialists",
        "1 recovery code left",
        "Devices receiving notifications",
        "Preparing your specialist visit",
        "Iusuallyinjectat20:45",
        "Bynotificationonmydevicesyes",
        "Listthebrand,batchandexpiryofthepacksIcarryyes",
    ):
        assert squeeze(marker) in text, marker
    assert text.count(PACK_BATCH) >= 2
    assert squeeze(PUSH_ENDPOINT) not in text


def test_erasure_takes_every_row_the_walk_finds(everything, patient, other_patient):
    """Every personal model's rows reachable from the patient are gone (the access record is
    kept under a pseudonym: its rows no longer point at anyone)."""
    from patients.privacy.erasure import erase_account

    theirs = TreatmentFactory(patient=other_patient, drug_inn="guselkumab")
    pk, email = patient.pk, patient.email
    before = {}
    for label in personal_models() - ALSO_PERSONAL:
        model = apps.get_model(label)
        if label in KEYED_BY_EMAIL:
            query = model.objects.filter(username=email)
        elif label == USER:
            query = model.objects.filter(pk=pk)
        else:
            query = model.objects.none()
            for path in links_to_user(model):
                if path.endswith("access_attempt"):
                    query = query | model.objects.filter(**{f"{path}__username": email})
                else:
                    query = query | model.objects.filter(**{f"{path}__pk": pk})
        before[label] = query
    counted = {label: q.count() for label, q in before.items()}
    assert sum(counted.values()) > 30, counted
    erase_account(user=patient)
    left = {label: q.count() for label, q in before.items() if q.count()}
    assert left == {}
    assert User.objects.filter(pk=other_patient.pk).exists()
    assert (
        theirs.stock_deliveries.count() == 0 and type(theirs).objects.filter(pk=theirs.pk).exists()
    )
