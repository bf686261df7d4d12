"""Issue 22: stock as packs, the box's code (typed, scanned, or from a photo), the pack of each
dose, and packs that expire before their dose."""

import io
import json
from datetime import UTC, date, datetime

import pytest
import zxingcpp
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation
from PIL import Image

from patients.models import Injection, Kind, Reminder, StockDelivery
from patients.treatments.packs import CodeError, decode_photo, devices_left, parse_pack_code
from patients.treatments.writes import record_delivery
from tests.factories import TreatmentFactory, log_dose

pytestmark = pytest.mark.django_db

GTIN = "05000456013482"  # a valid check digit (2); no catalogue presentation lists it
RAW = f"01{GTIN}17270300" + "10AB12\x1d21SER1"  # FNC1 as the group separator
HRI = f"(01){GTIN}(17)270300(10)AB12(21)SER1"


# The element string, parsed with biip.


@pytest.mark.parametrize(
    "text",
    [RAW, HRI, "]d2" + RAW, RAW.replace("\x1d", "<GS>"), f"(01){GTIN}(10)AB12(17)270300"],
    ids=["group-separator", "parentheses", "symbology-prefix", "typed-gs", "batch-first"],
)
def test_a_pack_code_gives_product_batch_and_expiry_in_every_spelling(text):
    code = parse_pack_code(text)
    assert (code.gtin, code.batch) == (GTIN, "AB12")
    # Expiry day 00: the last day of that month.
    assert code.expires_on == date(2027, 3, 31)


def test_without_a_group_separator_the_batch_runs_to_the_end_of_the_string():
    code = parse_pack_code(f"01{GTIN}1727041510LOT7")
    assert (code.batch, code.expires_on) == ("LOT7", date(2027, 4, 15))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(01)05000456013481(17)270300(10)AB12", "wrong check digit"),
        ("0105000456013481172703001010AB12", "wrong check digit"),
        (f"(01){GTIN}(17)271332(10)AB12", "not a real date"),
        (f"01{GTIN}17270230" + "10AB12", "not a real date"),
        (f"01{GTIN}17271300", "not a real date"),
        ("hello", "not a GS1 code"),
        ("https://example.com/box", "not a GS1 code"),
        ("(10)AB12(17)270300", "no product code"),
        (f"(01){GTIN}", "neither a batch nor an expiry"),
        ("", "empty"),
        ("1" * 300, "too long"),
    ],
)
def test_a_code_that_cannot_be_read_says_why(text, message):
    with translation.override("en"), pytest.raises(CodeError, match=message):
        parse_pack_code(text)


# The pack form.


def prefix(lang: str) -> str:
    return "" if lang == "fr" else f"/{lang}"  # French is the default, without a prefix


def stock_url(treatment, lang="en"):
    return f"{prefix(lang)}/treatments/{treatment.pk}/stock/"


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_reading_a_typed_code_fills_batch_and_expiry_and_stores_nothing(patient_client, treatment):
    response = patient_client.post(stock_url(treatment), {"code": HRI, "action": "read"})
    page = response.content.decode()
    assert 'value="AB12"' in page and 'value="2027-03-31"' in page
    assert not StockDelivery.objects.exists()


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_a_scanned_pack_is_stored_with_its_batch_expiry_and_product_code(patient_client, treatment):
    response = patient_client.post(
        stock_url(treatment),
        {"code": RAW.replace("\x1d", "<GS>"), "received_on": "2027-02-03", "devices": "2"},
    )
    assert response.status_code == 302
    pack = StockDelivery.objects.get()
    assert (pack.devices, pack.batch, pack.expires_on, pack.gtin) == (
        2,
        "AB12",
        date(2027, 3, 31),
        GTIN,
    )


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_batch_and_expiry_can_be_typed_without_a_code(patient_client, treatment):
    patient_client.post(
        stock_url(treatment),
        {"batch": "K123", "expires_on": "2028-01-31", "received_on": "2027-02-03", "devices": "1"},
    )
    pack = StockDelivery.objects.get()
    assert (pack.batch, pack.expires_on, pack.gtin) == ("K123", date(2028, 1, 31), "")


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
@pytest.mark.parametrize(
    ("lang", "code", "message"),
    [
        ("en", "(01)05000456013481(17)270300(10)AB12", "wrong check digit"),
        ("en", f"(01){GTIN}(17)271332(10)AB12", "not a real date"),
        ("en", "hello", "not a GS1 code"),
        ("fr", "hello", "pas un code GS1"),
    ],
)
def test_a_bad_code_in_the_form_is_explained_and_nothing_is_stored(
    patient_client, treatment, lang, code, message
):
    for action in ("read", "add"):
        response = patient_client.post(
            stock_url(treatment, lang),
            {"code": code, "received_on": "2027-02-03", "devices": "2", "action": action},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not StockDelivery.objects.exists()


# A photo of the code, decoded on the server with zxing-cpp.


def datamatrix_png(content: str, *, scale: int = 8) -> bytes:
    """A DataMatrix written by zxing-cpp, as a PNG a phone might send."""
    barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.DataMatrix)
    pixels = memoryview(barcode.to_image(scale=scale))
    height, width = pixels.shape
    image = Image.frombytes("L", (width, height), pixels.tobytes())
    canvas = Image.new("L", (width + 200, height + 200), 255)  # a margin of box around it
    canvas.paste(image, (100, 60))
    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="PNG")
    return out.getvalue()


def photo(data: bytes, name="box.png", content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("content", [HRI, RAW], ids=["hri", "group-separator"])
def test_the_code_in_a_photo_is_decoded(content):
    assert parse_pack_code(decode_photo(datamatrix_png(content))).batch == "AB12"


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_a_photo_fills_the_pack_form_and_is_not_stored(patient_client, treatment):
    response = patient_client.post(
        f"/en/treatments/{treatment.pk}/stock/photo/", {"photo": photo(datamatrix_png(RAW))}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="AB12"' in page and 'value="2027-03-31"' in page
    assert f"(01){GTIN}(17)270300(10)AB12" in page  # the code field, read back on "Add"
    assert not StockDelivery.objects.exists()


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
@pytest.mark.parametrize(
    ("lang", "upload", "message"),
    [
        ("en", lambda: photo(blank_png()), "No code was found in this photo"),
        ("fr", lambda: photo(blank_png()), "Aucun code"),
        ("en", lambda: photo(b"not an image at all", "box.png"), "not a photo"),
        ("en", lambda: photo(b"%PDF-1.4", "box.pdf", "application/pdf"), "required"),
        ("en", lambda: photo(datamatrix_png("hello world")), "not a GS1 code"),
    ],
    ids=["no-code", "no-code-fr", "not-an-image", "not-an-image-type", "not-gs1"],
)
def test_a_photo_that_gives_no_pack_code_is_explained(
    patient_client, treatment, lang, upload, message
):
    response = patient_client.post(
        f"{prefix(lang)}/treatments/{treatment.pk}/stock/photo/", {"photo": upload()}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not StockDelivery.objects.exists()


def blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (240, 240, 240)).save(out, format="PNG")
    return out.getvalue()


def test_a_photo_needs_the_csrf_token(client, patient, treatment):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient)
    response = strict.post(
        f"/en/treatments/{treatment.pk}/stock/photo/", {"photo": photo(datamatrix_png(RAW))}
    )
    assert response.status_code == 403


def test_another_patients_treatment_answers_404_to_a_photo(client, other_patient, treatment):
    client.force_login(other_patient)
    response = client.post(
        f"/en/treatments/{treatment.pk}/stock/photo/", {"photo": photo(datamatrix_png(RAW))}
    )
    assert response.status_code == 404


# Devices left, expired packs, and the pack of each dose.


@pytest.mark.now(datetime(2027, 5, 1, 12, tzinfo=UTC))
def test_expired_devices_are_not_counted_and_are_flagged(patient_client, treatment):
    record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 2),
        devices=3,
        batch="OLD1",
        expires_on=date(2027, 4, 30),
    )
    record_delivery(treatment=treatment, received_on=date(2027, 4, 20), devices=2)
    page = patient_client.get("/en/dashboard/").content.decode()
    assert "2 devices left." in page
    assert "the pack of batch OLD1 expired on 30 April 2027: its 3 devices are not counted" in page


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_a_pack_expiring_before_its_planned_dose_is_flagged_and_reminded(patient_client, treatment):
    log_dose(treatment, 1, date(2027, 1, 4))
    # Guselkumab: dose 2 on 1 February (logged below), dose 3 on 29 March 2027.
    record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 20),
        devices=3,
        batch="B7",
        expires_on=date(2027, 3, 15),
    )
    log_dose(treatment, 2, date(2027, 2, 1))
    page = patient_client.get("/en/dashboard/").content.decode()
    assert (
        "the pack of batch B7 expires on 15 March 2027, before dose 3 planned on 29 March 2027"
        in page
    )
    reminders = Reminder.objects.filter(treatment=treatment, kind=Kind.PACK_EXPIRY)
    assert reminders.exists()
    assert {r.occurrence for r in reminders} == {
        f"pack-{StockDelivery.objects.get().pk}-2027-03-15"
    }
    # The notice stops being true once the pack is replaced by one that lasts: cancelled.
    pack = StockDelivery.objects.get()
    pack.expires_on = date(2027, 12, 31)
    pack.save()
    record_delivery(treatment=treatment, received_on=date(2027, 2, 3), devices=1)
    assert not reminders.filter(state="pending").exists()


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_a_logged_dose_records_the_pack_that_expires_first_and_the_history_shows_its_batch(
    patient_client, treatment
):
    record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 2),
        devices=2,
        batch="LATE9",
        expires_on=date(2028, 6, 30),
    )
    soon = record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 3),
        devices=2,
        batch="SOON1",
        expires_on=date(2027, 9, 30),
    )
    form = patient_client.get(f"/en/treatments/{treatment.pk}/injections/new/").content.decode()
    assert f'<option value="{soon.pk}" selected>Batch SOON1' in form
    patient_client.post(
        f"/en/treatments/{treatment.pk}/injections/new/",
        {
            "taken_date": "2027-01-04",
            "taken_time": "09:00",
            "dose_number": "1",
            "site": "abdomen_left",
            "reaction": "none",
            "pack": str(soon.pk),
        },
    )
    injection = Injection.objects.get()
    assert (injection.pack, injection.lot_number) == (soon, "SOON1")
    history = patient_client.get(f"/en/treatments/{treatment.pk}/history/").content.decode()
    assert '<td data-label="Batch">SOON1</td>' in history
    export = json.loads(patient_client.get("/en/my-data/export.json").content)
    dose = export["treatments"][0]["injections"][0]
    assert dose["lot_number"] == "SOON1"
    assert {k: dose["pack"][k] for k in ("batch", "expires_on")} == {
        "batch": "SOON1",
        "expires_on": "2027-09-30",
    }
    packs = export["treatments"][0]["stock_deliveries"]
    assert {p["batch"] for p in packs} == {"LATE9", "SOON1"}


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_another_patients_pack_cannot_be_named_for_a_dose(patient_client, treatment, other_patient):
    theirs = TreatmentFactory(patient=other_patient)
    their_pack = record_delivery(treatment=theirs, received_on=date(2027, 1, 2), devices=2)
    response = patient_client.post(
        f"/en/treatments/{treatment.pk}/injections/new/",
        {
            "taken_date": "2027-01-04",
            "taken_time": "09:00",
            "dose_number": "1",
            "site": "abdomen_left",
            "reaction": "none",
            "pack": str(their_pack.pk),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Injection.objects.exists()


# The data migration: a count becomes one pack with no batch.


@pytest.mark.django_db(transaction=True)
def test_a_count_recorded_before_packs_becomes_one_pack_with_no_batch(catalogue):
    executor = MigrationExecutor(connection)
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "patients"]
    before = [("patients", "0011_push"), *others]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("patients", "User").objects.create(email="old@example.com")
    drug = old.get_model("therapies", "Drug").objects.get(inn="guselkumab")
    regimen = old.get_model("therapies", "Regimen").objects.filter(drug=drug).first()
    treatment = old.get_model("patients", "Treatment").objects.create(
        patient=user, drug=drug, regimen=regimen, first_dose_on=date(2026, 1, 5)
    )
    old.get_model("patients", "StockDelivery").objects.create(
        treatment=treatment, received_on=date(2026, 1, 2), devices=4
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    pack = StockDelivery.objects.get(treatment_id=treatment.pk)
    assert (pack.devices, pack.batch, pack.expires_on, pack.gtin) == (4, "", None, "")


# The arithmetic, without the database.


class P:
    def __init__(self, pk, devices, received_on, expires_on=None):
        self.pk, self.devices, self.received_on, self.expires_on = (
            pk,
            devices,
            received_on,
            expires_on,
        )


class Dose:
    def __init__(self, devices_used, pack_id=None):
        self.devices_used, self.pack_id = devices_used, pack_id


def test_without_expiry_dates_devices_left_is_received_minus_used_as_before():
    packs = [P(1, 3, date(2027, 1, 1)), P(2, 2, date(2027, 2, 1))]
    used = [Dose(1), Dose(2, pack_id=2), Dose(1)]
    assert devices_left(packs, used, today=date(2027, 3, 1)) == 5 - 4
    assert devices_left([], used, today=date(2027, 3, 1)) is None


def test_an_expired_pack_keeps_its_devices_out_of_the_count_from_the_day_after_its_date():
    packs = [P(1, 3, date(2027, 1, 1), expires_on=date(2027, 4, 30)), P(2, 2, date(2027, 2, 1))]
    assert devices_left(packs, [], today=date(2027, 4, 30)) == 5
    assert devices_left(packs, [], today=date(2027, 5, 1)) == 2
    # Doses logged without a pack came from the oldest packs first: nothing is left to expire.
    assert devices_left(packs, [Dose(1), Dose(1), Dose(1)], today=date(2027, 5, 1)) == 2


def test_the_stock_on_a_given_day_leaves_out_packs_expired_by_then(treatment):
    """What the trip reads with the day of departure (travel/plan.py, medicine_plan)."""
    from patients.treatments.reads import devices_left_of

    record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 2),
        devices=4,
        batch="X1",
        expires_on=date(2027, 6, 30),
    )
    record_delivery(treatment=treatment, received_on=date(2027, 1, 3), devices=1)
    assert devices_left_of(treatment, [], today=date(2027, 6, 30)) == 5
    assert devices_left_of(treatment, [], today=date(2027, 7, 1)) == 1


@pytest.mark.now(datetime(2027, 2, 3, 12, tzinfo=UTC))
def test_the_expiry_notice_is_e_mailed_with_brand_batch_and_dates(
    treatment, django_capture_on_commit_callbacks
):
    from django.core import mail

    from tests.support.workers import send_due

    log_dose(treatment, 1, date(2027, 1, 4))
    record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 20),
        devices=3,
        batch="B7",
        expires_on=date(2027, 3, 15),
    )
    log_dose(treatment, 2, date(2027, 2, 1))
    outcomes = send_due(datetime(2027, 2, 3, 12, 5, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert "sent" in outcomes
    (message,) = [m for m in mail.outbox if "boîte" in m.subject]
    assert "Votre boîte de Tremfya, lot B7, se périme le 15 mars 2027" in message.body
    assert "avant la dose 3 prévue le 29 mars 2027" in message.body
