"""Issue 22, item 3: the records that show brand and batch. The visit summary (page and PDF),
the FHIR export (the dose's pack as a contained Medication, checked by the fhir.resources
models) and the travel letters, which list the packs carried only when the patient asks."""

import io
import json
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medication import Medication
from pypdf import PdfReader

from patients.models import Letter, Trip
from patients.summary import fhir
from patients.summary.data import Period, batches_given, build_summary
from patients.travel.letters import approve_letter
from patients.travel.plan import trip_plan
from patients.travel.trips import plan_trip, update_trip
from patients.treatments.writes import record_delivery
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

GTIN = "05000456013482"
SUMMARY_NOW = datetime(2027, 6, 10, 10, 0, tzinfo=UTC)
PERIOD = {"start": "2027-01-01", "end": "2027-06-10"}


def pdf_text(content: bytes) -> str:
    """The text of every page, without white space (WeasyPrint's spaces do not all survive)."""
    return "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def packed(treatment):
    """Guselkumab from 4 January 2027: doses 1 (4 Jan) and 2 (7 Feb, 6 days late) from the pack
    of batch LOT-A1, dose 3 (29 Mar) missed, dose 4 (25 May) from LOT-B2 (no product code)."""
    first = record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 2),
        devices=2,
        batch="LOT-A1",
        expires_on=date(2027, 4, 30),
        gtin=GTIN,
    )
    second = record_delivery(
        treatment=treatment,
        received_on=date(2027, 5, 1),
        devices=2,
        batch="LOT-B2",
        expires_on=date(2027, 12, 31),
    )
    log_dose(treatment, 1, date(2027, 1, 4), pack=first)
    log_dose(treatment, 2, date(2027, 2, 7), pack=first, reaction="redness")
    log_dose(treatment, 4, date(2027, 5, 25), pack=second)
    return treatment


# --- The visit summary ---------------------------------------------------------------------------


@pytest.mark.now(SUMMARY_NOW)
def test_the_summary_lists_each_batch_given_with_its_expiry_and_doses(packed):
    summary = build_summary(
        patient=packed.patient, period=Period(date(2027, 1, 1), date(2027, 6, 10)), now=SUMMARY_NOW
    )
    [t] = summary.treatments
    assert [(b.batch, b.expires_on, b.doses, b.first_on, b.last_on) for b in t.batches] == [
        ("LOT-A1", date(2027, 4, 30), [1, 2], date(2027, 1, 4), date(2027, 2, 7)),
        ("LOT-B2", date(2027, 12, 31), [4], date(2027, 5, 25), date(2027, 5, 25)),
    ]
    assert t.doses_without_batch == 0
    late = next(r for r in t.exceptions if r.number == 2)
    assert late.injection.lot_number == "LOT-A1"


@pytest.mark.now(SUMMARY_NOW)
def test_a_dose_without_a_batch_is_counted_and_a_typed_batch_has_no_expiry(treatment):
    pack = record_delivery(
        treatment=treatment,
        received_on=date(2027, 1, 2),
        devices=3,
        batch="PACK1",
        expires_on=date(2027, 9, 30),
    )
    log_dose(treatment, 1, date(2027, 1, 4))  # no pack, no batch
    log_dose(treatment, 2, date(2027, 2, 1), pack=pack, lot_number="TYPED9")
    injections = list(treatment.injections.live().select_related("pack"))
    batches, without = batches_given(injections)
    assert [(b.batch, b.expires_on, b.doses) for b in batches] == [("TYPED9", None, [2])]
    assert without == 1


@pytest.mark.now(SUMMARY_NOW)
def test_the_summary_pdf_shows_brand_and_batch_in_english(client, packed):
    sign_in(client, packed.patient)
    with translation.override("en"):
        url = reverse("patients:visit_summary_pdf")
    text = pdf_text(client.get(url, PERIOD).content)
    # The late dose's row in the table of doses not taken on time.
    assert squeeze("Late by 6 days, taken on 7 February 2027 Tremfya, batch LOT-A1") in text
    assert squeeze("Brands and batches given in the period") in text
    row = "Tremfya LOT-A1 30 April 2027 Doses 1, 2, from 4 January 2027 to 7 February 2027"
    assert squeeze(row) in text
    assert squeeze("Tremfya LOT-B2 31 December 2027 Dose 4, on 25 May 2027") in text
    assert squeeze("(dose 2, batch LOT-A1): Redness") in text


@pytest.mark.now(SUMMARY_NOW)
def test_the_summary_page_shows_brand_and_batch_in_french(client, packed):
    sign_in(client, packed.patient)
    page = client.get(reverse("patients:visit_summary"), PERIOD).content.decode()
    assert "Tremfya, lot LOT-A1" in page
    assert "Marques et lots donnés pendant la période" in page
    assert "Doses 1, 2, du 4 janvier 2027 au 7 février 2027" in page
    assert "Dose 4, le 25 mai 2027" in page
    assert 'data-label="Lot"' in page  # a card per row on a phone


@pytest.mark.now(SUMMARY_NOW)
def test_the_summary_with_packs_reads_the_same_queries_for_one_or_two_treatments(
    packed, other_patient
):
    other = TreatmentFactory(
        patient=other_patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(other, 1, date(2027, 1, 4))
    period = Period(date(2027, 1, 1), date(2027, 6, 10))
    with CaptureQueriesContext(connection) as one:
        build_summary(patient=other_patient, period=period, now=SUMMARY_NOW)
    second = TreatmentFactory(
        patient=packed.patient, drug_inn="secukinumab", first_dose_on=date(2027, 2, 1)
    )
    record_delivery(treatment=second, received_on=date(2027, 1, 20), devices=4, batch="S1")
    log_dose(second, 1, date(2027, 2, 1))
    with CaptureQueriesContext(connection) as two:
        summary = build_summary(patient=packed.patient, period=period, now=SUMMARY_NOW)
    assert len(summary.treatments) == 2
    assert len(two.captured_queries) == len(one.captured_queries)


# --- The FHIR export -----------------------------------------------------------------------------


@pytest.mark.now(SUMMARY_NOW)
def test_the_fhir_export_carries_the_pack_batch_expiry_and_product_code(client, packed):
    other = TreatmentFactory(
        patient=packed.patient, drug_inn="secukinumab", first_dose_on=date(2027, 3, 1)
    )
    log_dose(other, 1, date(2027, 3, 1))
    sign_in(client, packed.patient)
    document = json.loads(client.get(reverse("patients:export_fhir")).content)
    bundle = Bundle.model_validate(document)  # raises if a resource is not valid
    given = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "MedicationAdministration"
    ]
    by_date = {a.effectiveDateTime.date(): a for a in given}

    first = by_date[date(2027, 1, 4)]
    [medication] = first.contained
    medication = Medication.model_validate(medication.model_dump(mode="json", by_alias=True))
    assert first.medicationReference.reference == "#medication"
    assert medication.batch.lotNumber == "LOT-A1"
    assert str(medication.batch.expirationDate) == "2027-04-30"
    [coding] = medication.code.coding
    assert (coding.system, coding.code) == ("https://www.gs1.org/gtin", GTIN)
    assert medication.code.text.startswith("guselkumab")

    # A pack with no product code: batch and expiry, no coding.
    [fourth] = by_date[date(2027, 5, 25)].contained
    fourth = fourth.model_dump(mode="json", by_alias=True)
    assert fourth["batch"] == {"lotNumber": "LOT-B2", "expirationDate": "2027-12-31"}
    assert "coding" not in fourth["code"]

    # A dose with no pack and no batch names its medicine only.
    plain = by_date[date(2027, 3, 1)]
    assert plain.contained is None and plain.medicationReference is None
    assert plain.medicationCodeableConcept.text.startswith("secukinumab")


@pytest.mark.now(SUMMARY_NOW)
def test_the_fhir_export_with_packs_reads_a_fixed_number_of_queries(packed, other_patient):
    other = TreatmentFactory(
        patient=other_patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(other, 1, date(2027, 1, 4))
    counts = []
    for who in (packed.patient, other_patient):
        with CaptureQueriesContext(connection) as queries:
            fhir.build_bundle(patient=who, now=SUMMARY_NOW)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- The travel letters --------------------------------------------------------------------------

LETTER_NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def stocked(treatment):
    """Three packs before a trip from 20 March to 2 April 2027 (dose 3 on 29 March; doses 1 and
    2, on 4 January and 1 February, come before it). EARLY1 expires first: it goes to doses 1
    and 2. MID2 expires during the trip: it stays home. TRIP3 gives the two devices carried
    (dose 3 and the spare)."""
    for batch, devices, expires_on, gtin in (
        ("EARLY1", 2, date(2027, 2, 28), ""),
        ("MID2", 1, date(2027, 3, 25), ""),
        ("TRIP3", 3, date(2027, 9, 30), GTIN),
    ):
        record_delivery(
            treatment=treatment,
            received_on=date(2026, 11, 20),
            devices=devices,
            batch=batch,
            expires_on=expires_on,
            gtin=gtin,
        )
    return treatment


def japan(patient, **fields) -> Trip:
    return plan_trip(
        patient=patient,
        now=LETTER_NOW,
        destination="JP",
        destination_time_zone="Asia/Tokyo",
        departs_on=date(2027, 3, 20),
        returns_on=date(2027, 4, 2),
        traveller_name="Camille Martin",
        **fields,
    )


def letter_text(client, trip, kind: str) -> str:
    response = client.get(reverse("patients:letter_pdf", args=[trip.pk, kind]))
    assert response["Content-Type"] == "application/pdf"
    return pdf_text(response.content)


@pytest.mark.now(LETTER_NOW)
def test_the_packs_carried_are_those_in_date_until_the_return_first_to_expire_first(
    patient, stocked
):
    [medicine] = trip_plan(japan(patient)).medicines
    assert [(c.pack.batch, c.devices) for c in medicine.packs] == [("TRIP3", 2)]


@pytest.mark.now(LETTER_NOW)
def test_the_letters_list_no_pack_unless_the_patient_asks(patient_client, patient, stocked):
    trip = japan(patient)
    assert trip.list_packs is False
    for kind in ("certificate", "prescription"):
        text = letter_text(patient_client, trip, kind)
        assert "Packscarried" not in text and "TRIP3" not in text and GTIN not in text


@pytest.mark.now(LETTER_NOW)
@pytest.mark.parametrize("kind", ["certificate", "prescription"])
def test_asked_the_letters_list_brand_batch_expiry_and_product_code(
    patient_client, patient, stocked, kind
):
    text = letter_text(patient_client, japan(patient, list_packs=True), kind)
    assert squeeze("Packs carried") in text
    line = f"Tremfya, batch TRIP3, expiry 30 September 2027, product code (GTIN) {GTIN}: 2 devices"
    assert squeeze(line) in text
    assert "EARLY1" not in text and "MID2" not in text  # used before, or expiring during, the trip


@pytest.mark.now(LETTER_NOW)
def test_asked_without_packs_recorded_the_letter_says_so(patient_client, patient, treatment):
    text = letter_text(patient_client, japan(patient, list_packs=True), "prescription")
    assert squeeze("Packs carried no pack recorded") in text


@pytest.mark.now(LETTER_NOW)
def test_the_trip_form_offers_the_list_off_and_turning_it_on_revokes_approved_letters(
    patient_client, patient, stocked, clinician, care_link
):
    trip = japan(patient)
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=LETTER_NOW)
    assert "TRIP3" not in json.dumps(letter.content)
    url = reverse("patients:edit_trip", args=[trip.pk])
    form = patient_client.get(url).content.decode()
    assert 'name="list_packs"' in form and "checked" not in form.split('name="list_packs"')[1][:40]
    assert "Indiquer la marque, le lot et la date de péremption des boîtes que j’emporte" in form
    data = {
        "destination": "JP",
        "destination_time_zone": "Asia/Tokyo",
        "departs_on": "2027-03-20",
        "returns_on": "2027-04-02",
        "means": "plane",
        "spare_doses": "1",
        "traveller_name": "Camille Martin",
        "list_packs": "on",
    }
    assert patient_client.post(url, data).status_code == 302
    trip.refresh_from_db()
    assert trip.list_packs is True
    letter.refresh_from_db()
    assert letter.revoked_at is not None  # what it printed changed: approve it again
    again = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=LETTER_NOW)
    [medicine] = again.content["medicines"]
    assert medicine["packs"] == [
        {
            "brand": "Tremfya",
            "batch": "TRIP3",
            "expires_on": "30 September 2027",
            "gtin": GTIN,
            "devices": 2,
        }
    ]
    # Turned off again: revoked again, and the letter lists nothing.
    trip.list_packs = False
    update_trip(trip=trip, changed=["list_packs"], by=patient, now=LETTER_NOW)
    assert not Letter.objects.filter(trip=trip, revoked_at__isnull=True).exists()
    assert "TRIP3" not in letter_text(patient_client, trip, "certificate")


@pytest.mark.now(LETTER_NOW)
def test_the_trip_page_names_the_packs_to_take(patient_client, patient, stocked):
    trip = japan(patient)
    page = patient_client.get(f"/en/trips/{trip.pk}/").content.decode()
    assert "Packs to take, the first to expire first" in page
    assert "Batch TRIP3, expires on 30 September 2027: 2 devices" in page
    assert "Your letters do not list them" in page
    trip.list_packs = True
    trip.save()
    page = patient_client.get(f"/trips/{trip.pk}/").content.decode()
    assert "Lot TRIP3, périme le 30 septembre 2027 : 2 dispositifs" in page
    assert "Vos lettres indiquent ces boîtes" in page
