"""The journal in the visit summary and the FHIR export (issues 20 and 21): the entries and the
score trends in the page and the PDF, a held dose counted as held, the specialist reading them
only when the patient shares the journal, the scores and entries as FHIR Observations."""

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from pypdf import PdfReader

from patients.journal.entries import record_entry
from patients.journal.scores import record_scores
from patients.journal.sharing import set_sharing
from patients.models import CareLink
from patients.summary.data import Period, build_summary
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 10, 10, 0, tzinfo=UTC)
PERIOD = {"start": "2027-01-01", "end": "2027-06-10"}


def en(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def pdf_text(content: bytes) -> str:
    """The text of every page, without white space (WeasyPrint's spaces do not all survive)."""
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def journal(treatment):
    """Doses 1, 2 and 4 logged; dose 3 (29 March) held for an illness; an infection with fever
    in April; three itch scores."""
    log_dose(treatment, 1, date(2027, 1, 4))
    log_dose(treatment, 2, date(2027, 2, 1))
    log_dose(treatment, 4, date(2027, 5, 25))
    patient = treatment.patient
    record_entry(
        patient=patient,
        treatment=treatment,
        occurred_on=date(2027, 3, 28),
        dose_held=True,
        held_reason="illness",
        now=NOW,
    )
    record_entry(
        patient=patient,
        treatment=treatment,
        occurred_on=date(2027, 4, 12),
        infection=True,
        infection_what="sinusitis-alpha",
        fever=True,
        antibiotics=True,
        now=NOW,
    )
    for day, itch in ((date(2027, 2, 3), 6), (date(2027, 3, 3), 4), (date(2027, 5, 30), 2)):
        record_scores(patient=patient, recorded_on=day, itch=itch, now=NOW)
    return treatment


@pytest.mark.now(NOW)
def test_the_patients_summary_shows_the_journal_the_scores_and_the_held_dose(client, journal):
    sign_in(client, journal.patient)
    page = client.get(en("patients:visit_summary"), PERIOD).content.decode()
    assert "Side effects, infections and doses held (journal)" in page
    assert "sinusitis-alpha" in page
    # The itch trend: an SVG with its title, and its figures in a table.
    assert 'id="summary-score-itch"' in page
    assert '<svg class="trend"' in page and "<title" in page
    assert page.count("<circle") == 3
    assert "February 2027" in page  # the figures, a row per month
    # Dose 3 was held, not missed.
    assert "0 missed, 1 held" in page
    assert "Held: Illness" in page


@pytest.mark.now(NOW)
def test_the_pdf_carries_the_journal_and_the_scores(client, journal):
    sign_in(client, journal.patient)
    text = pdf_text(client.get(en("patients:visit_summary_pdf"), PERIOD).content)
    assert "sinusitis-alpha" in text
    assert "0missed,1held" in text and "Held:Illness" in text
    assert "Itchinthelast24hours" in text  # the itch chart's heading and its table


@pytest.mark.now(NOW)
def test_a_held_dose_is_counted_held_with_its_reason(journal):
    summary = build_summary(
        patient=journal.patient, period=Period(date(2027, 1, 1), date(2027, 6, 10)), now=NOW
    )
    [treatment] = summary.treatments
    assert (treatment.counts.held, treatment.counts.missed) == (1, 0)
    [held] = [row for row in treatment.rows if row.outcome == "held"]
    assert held.number == 3 and held.reason == "Maladie"  # the reader's language: French


@pytest.mark.now(NOW)
def test_a_specialist_reads_the_journal_only_when_the_patient_shares_it(client, journal, clinician):
    CareLink.objects.create(patient=journal.patient, clinician=clinician)
    sign_in(client, clinician)
    url = en("patients:clinic_summary", journal.patient.pk)
    page = client.get(url, PERIOD).content.decode()
    assert "sinusitis-alpha" not in page
    assert 'id="summary-score-itch"' not in page
    assert 'id="summary-journal"' not in page
    # Not shared: dose 3 is missed as far as the specialist can tell.
    summary = build_summary(
        patient=journal.patient,
        period=Period(date(2027, 1, 1), date(2027, 6, 10)),
        now=NOW,
        viewer=clinician,
    )
    assert summary.treatments[0].counts.missed == 1

    set_sharing(patient=journal.patient, clinician=clinician, shared=True, now=NOW)
    page = client.get(url, PERIOD).content.decode()
    assert "sinusitis-alpha" in page
    assert 'id="summary-score-itch"' in page


@pytest.mark.now(NOW)
def test_the_summary_with_a_journal_reads_a_fixed_number_of_queries(patient, other_patient):
    short = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4))
    log_dose(short, 1, date(2027, 1, 4))
    long = TreatmentFactory(
        patient=other_patient, drug_inn="tocilizumab", first_dose_on=date(2026, 6, 7)
    )
    for week in range(52):
        day = date(2026, 6, 7) + timedelta(weeks=week)
        log_dose(long, week + 1, day)
        record_scores(patient=other_patient, recorded_on=day, itch=week % 11, now=NOW)
        record_entry(patient=other_patient, treatment=long, occurred_on=day, note="n", now=NOW)
    period = Period(date(2026, 6, 1), date(2027, 6, 10))
    counts = []
    for who in (patient, other_patient):
        with CaptureQueriesContext(connection) as queries:
            build_summary(patient=who, period=period, now=NOW)
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.now(NOW)
def test_the_fhir_export_holds_the_scores_and_entries_as_observations(client, journal):
    sign_in(client, journal.patient)
    document = json.loads(client.get(en("patients:export_fhir")).content)
    Bundle.model_validate(document)
    observations = [
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    for observation in observations:
        Observation.model_validate(observation)
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["subject"]["reference"].startswith("urn:uuid:")
    itch = [o for o in observations if o["code"]["text"].startswith("Itch")]
    assert sorted((o["effectiveDateTime"], o["valueInteger"]) for o in itch) == [
        ("2027-02-03", 6),
        ("2027-03-03", 4),
        ("2027-05-30", 2),
    ]
    [infection] = [o for o in observations if o["code"]["text"] == "Infection"]
    assert infection["valueString"] == "sinusitis-alpha; fever: yes; antibiotics: yes"
    [held] = [o for o in observations if o["code"]["text"] == "Dose held or delayed"]
    assert held["valueString"] == "illness"
    # Stable ids: the same record gives the same id on the next export.
    again = json.loads(client.get(en("patients:export_fhir")).content)
    assert {e["fullUrl"] for e in again["entry"]} >= {
        e["fullUrl"] for e in document["entry"] if e["resource"]["resourceType"] == "Observation"
    }


@pytest.mark.now(NOW)
def test_sixteen_busy_weeks_still_fit_on_two_pages(client, treatment):
    """Every score every day and an entry every other day for 16 weeks: the summary keeps to
    two pages (the newest eight entries; the figures a row per month)."""
    start = date(2027, 2, 18)
    for n, day in enumerate(date(2027, 1, 4) + timedelta(weeks=4 * k) for k in range(2)):
        log_dose(treatment, n + 1, day)
    for offset in range(112):
        day = start + timedelta(days=offset)
        record_scores(
            patient=treatment.patient,
            recorded_on=day,
            itch=offset % 11,
            skin_overall=(offset + 3) % 11,
            skin_palms=offset % 7,
            joint_pain=True,
            joint_pain_score=offset % 5,
            now=NOW,
        )
        if offset % 2:
            record_entry(
                patient=treatment.patient,
                treatment=treatment,
                occurred_on=day,
                site_reaction="mild",
                side_effects="tired " * 10,
                now=NOW,
            )
    sign_in(client, treatment.patient)
    response = client.get(
        en("patients:visit_summary_pdf"), {"start": "2027-02-18", "end": "2027-06-10"}
    )
    pages = len(PdfReader(io.BytesIO(response.content)).pages)
    assert pages <= 2
    text = pdf_text(response.content)
    assert "earlierentriesintheperiod,inthepatient" in text
