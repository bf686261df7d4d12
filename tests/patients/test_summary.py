"""The visit summary: what it says about doses (pure classification and the page), its PDF
(text extracted with pypdf, tagged), the period bounds, the queries, and who may make it."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from patients.models import AccessAction, AccessEvent, CareLink, VisitPreparation
from patients.summary import sections
from patients.summary.data import (
    DEFAULT_PERIOD,
    Outcome,
    Period,
    build_summary,
    default_period,
    dose_rows,
)
from patients.summary.prepare import save_preparation
from tests.factories import TreatmentFactory, log_dose
from tests.support import sign_in
from therapies import dosing

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 10, 10, 0, tzinfo=UTC)
PERIOD = Period(date(2027, 1, 1), date(2027, 6, 10))


def pdf_text(content: bytes) -> str:
    """The text of every page, without white space (WeasyPrint's spaces do not all survive)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split())


def squeeze(text: str) -> str:
    return "".join(text.split())


def structure_tags(reader: PdfReader) -> set[str]:
    tags, stack = set(), [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            stack.extend(node)
        elif hasattr(node, "get"):
            if "/S" in node:
                tags.add(str(node["/S"]))
            if "/K" in node:
                kids = node["/K"]
                stack.extend(kids if isinstance(kids, list) else [kids])
    return tags


@pytest.fixture
def history(treatment):
    """Guselkumab from 4 January 2027 (doses on 4 Jan, 1 Feb, 29 Mar, 24 May): the first on
    time, the second 6 days late, the third missed, the fourth a day late (on time)."""
    log_dose(treatment, 1, date(2027, 1, 4), lot_number="LOT-A1")
    log_dose(treatment, 2, date(2027, 2, 7), reaction="redness", note="itchy for a day")
    log_dose(treatment, 4, date(2027, 5, 25))
    return treatment


# --- The classification (pure) -------------------------------------------------------------------


def plan(first=date(2027, 1, 4)):
    """100 mg at week 0, then every 4 weeks: 4 Jan, 1 Feb, 1 Mar, 29 Mar 2027..."""
    spec = dosing.RegimenSpec(
        loading=(dosing.LoadingDose(week=0, dose_mg=100, devices=1),),
        every=4,
        unit=dosing.IntervalUnit.WEEKS,
        dose_mg=100,
        devices=1,
    )
    return list(dosing.plan(spec, first, count=6))


class Taken:
    def __init__(self, day):
        self.taken_on = day


def test_a_dose_within_three_days_is_on_time_and_later_is_late_by_its_delay():
    doses = plan()  # 4 Jan, 1 Feb, 1 Mar, 29 Mar...
    taken = {1: Taken(date(2027, 1, 7)), 2: Taken(date(2027, 2, 9))}
    rows = dose_rows(
        doses, taken, period=Period(date(2027, 1, 1), date(2027, 2, 20)), today=date(2027, 2, 20)
    )
    assert [(r.outcome, r.days_off) for r in rows] == [(Outcome.ON_TIME, 3), (Outcome.LATE, 8)]


def test_an_unlogged_dose_is_missed_once_its_window_closes_and_due_before():
    doses = plan()
    period = Period(date(2027, 2, 1), date(2027, 3, 3))
    assert [r.outcome for r in dose_rows(doses, {}, period=period, today=date(2027, 3, 3))] == [
        Outcome.MISSED,
        Outcome.DUE,
    ]


def test_a_held_dose_is_held_with_its_reason_not_missed():
    rows = dose_rows(
        plan(),
        {},
        period=Period(date(2027, 2, 1), date(2027, 2, 20)),
        today=date(2027, 2, 20),
        held={2: "infection"},
    )
    assert [(r.outcome, r.reason) for r in rows] == [(Outcome.HELD, "infection")]


def test_doses_outside_the_period_or_after_today_are_left_out():
    rows = dose_rows(
        plan(), {}, period=Period(date(2027, 1, 10), date(2027, 12, 31)), today=date(2027, 2, 2)
    )
    assert [r.number for r in rows] == [2]


def test_the_default_period_starts_at_the_last_visit_else_sixteen_weeks_ago():
    today = date(2027, 6, 10)
    assert default_period(preparation=None, today=today) == Period(today - DEFAULT_PERIOD, today)
    visit = VisitPreparation(last_visit_on=date(2027, 3, 2))
    assert default_period(preparation=visit, today=today) == Period(date(2027, 3, 2), today)
    long_ago = VisitPreparation(last_visit_on=date(2020, 3, 2))
    assert default_period(preparation=long_ago, today=today).start == today - DEFAULT_PERIOD


# --- The summary from the database ---------------------------------------------------------------


@pytest.mark.now(NOW)
def test_the_summary_counts_on_time_late_and_missed_doses(history):
    summary = build_summary(patient=history.patient, period=PERIOD, now=NOW)
    [t] = summary.treatments
    assert (t.counts.planned, t.counts.on_time, t.counts.late, t.counts.missed) == (4, 2, 1, 1)
    assert [(r.number, r.outcome) for r in t.exceptions] == [
        (2, Outcome.LATE),
        (3, Outcome.MISSED),
    ]
    assert t.most_late == 6
    assert t.next_doses[0].date == date(2027, 7, 19)


@pytest.mark.now(NOW)
def test_the_summary_reads_a_fixed_number_of_queries_whatever_the_history(patient, other_patient):
    short = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=date(2027, 1, 4))
    log_dose(short, 1, date(2027, 1, 4))
    long = TreatmentFactory(
        patient=other_patient, drug_inn="tocilizumab", first_dose_on=date(2026, 6, 7)
    )
    for number in range(1, 53):  # weekly: a year of doses
        log_dose(long, number, date(2026, 6, 7) + timedelta(weeks=number - 1))
    save_preparation(patient=other_patient, last_visit_on=None, condition="RA", questions="Q?")

    counts = []
    for who in (patient, other_patient):
        with CaptureQueriesContext(connection) as queries:
            build_summary(patient=who, period=PERIOD, now=NOW)
        counts.append(len(queries))
    # 6 for the treatments, doses, stock, checklist and preparation; 3 for the journal (the
    # entries for the held doses, the entries for their section, the scores).
    assert counts[0] == counts[1] <= 9


@pytest.mark.now(NOW)
def test_the_pdf_says_what_happened_to_each_dose_in_the_readers_language(client, history):
    patient = history.patient
    save_preparation(
        patient=patient, last_visit_on=None, condition="plaque psoriasis", questions="Can I travel?"
    )
    sign_in(client, patient)
    with translation.override("en"):
        url = reverse("patients:visit_summary_pdf") + "?start=2027-01-01&end=2027-06-10"

    english = client.get(url)
    text = pdf_text(english.content)

    assert english["Content-Type"] == "application/pdf"
    assert squeeze("Visit summary") in text
    assert squeeze("4 doses planned: 2 on time, 1 late (up to 6 days), 1 missed") in text
    assert squeeze("Late by 6 days, taken on 7 February 2027") in text
    assert squeeze("Missed: not logged") in text
    assert squeeze("Redness; itchy for a day") in text
    assert squeeze("plaque psoriasis") in text and squeeze("Can I travel?") in text
    with translation.override("en"):
        indication = str(history.regimen.get_indication_display())
    assert squeeze(f"Indication of this regimen (label): {indication}") in text
    assert len(PdfReader(io.BytesIO(english.content)).pages) <= 2


@pytest.mark.now(NOW)
def test_the_pdf_is_tagged_for_pdf_ua(client, history):
    sign_in(client, history.patient)
    response = client.get(reverse("patients:visit_summary_pdf"))
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "fr"
    tags = structure_tags(reader)
    # Headings, lists and the simple table are tagged; no definition list, no figure.
    assert {"/H1", "/H2", "/H3", "/L", "/LI", "/Table", "/TH", "/TD", "/Caption"} <= tags, tags
    assert "/Figure" not in tags


@pytest.mark.now(NOW)
def test_the_page_shows_the_default_period_and_bounds_the_dates(client, history):
    sign_in(client, history.patient)
    page = client.get(reverse("patients:visit_summary"))
    assert page.status_code == 200
    start = (date(2027, 6, 10) - DEFAULT_PERIOD).isoformat()
    assert f'value="{start}"' in page.content.decode()

    too_long = client.get(
        reverse("patients:visit_summary"), {"start": "2025-01-01", "end": "2027-06-10"}
    )
    assert too_long.status_code == 200
    assert too_long.context["s"].period.start.isoformat() == start  # fell back to the default
    assert too_long.context["period_form"].errors

    future = client.get(
        reverse("patients:visit_summary"), {"start": "2027-06-01", "end": "2027-07-01"}
    )
    assert future.context["period_form"].errors["end"]


@pytest.mark.now(NOW)
def test_the_patient_saves_her_questions_and_the_period_starts_at_her_last_visit(client, history):
    sign_in(client, history.patient)
    response = client.post(
        reverse("patients:prepare_visit"),
        {"last_visit_on": "2027-03-01", "condition": "psoriasis", "questions": "Stop in summer?"},
    )
    assert response.status_code == 302
    page = client.get(reverse("patients:visit_summary"))
    assert page.context["s"].period == Period(date(2027, 3, 1), date(2027, 6, 10))
    assert "Stop in summer?" in page.content.decode()


@pytest.mark.now(NOW)
def test_questions_longer_than_the_limit_are_refused(client, history):
    sign_in(client, history.patient)
    response = client.post(reverse("patients:prepare_visit"), {"questions": "x" * 2001})
    assert response.status_code == 400
    assert not VisitPreparation.objects.exists()


@pytest.mark.now(NOW)
def test_a_linked_specialist_makes_the_summary_and_it_is_recorded(client, history, clinician):
    CareLink.objects.create(patient=history.patient, clinician=clinician)
    sign_in(client, clinician)
    response = client.get(reverse("patients:clinic_summary", args=[history.patient.pk]))
    assert response.status_code == 200
    assert "Manquée : non notée" in response.content.decode()
    assert AccessEvent.objects.filter(
        patient=history.patient, actor=clinician, action=AccessAction.MADE_SUMMARY
    ).exists()
    pdf = client.get(reverse("patients:clinic_summary_pdf", args=[history.patient.pk]))
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.now(NOW)
def test_a_specialist_not_linked_gets_404_and_nothing_is_recorded(
    client, history, stranger_clinician
):
    sign_in(client, stranger_clinician)
    for name in ("patients:clinic_summary", "patients:clinic_summary_pdf"):
        assert client.get(reverse(name, args=[history.patient.pk])).status_code == 404
    assert not AccessEvent.objects.filter(action=AccessAction.MADE_SUMMARY).exists()


@pytest.mark.now(NOW)
def test_another_patients_summary_is_404_and_the_own_one_holds_no_one_elses(
    client, history, other_patient
):
    other = TreatmentFactory(
        patient=other_patient, drug_inn="secukinumab", first_dose_on=date(2027, 1, 4)
    )
    log_dose(other, 1, date(2027, 1, 4), note="ondine-secret-note")
    sign_in(client, other_patient)
    assert (
        client.get(reverse("patients:clinic_summary", args=[history.patient.pk])).status_code == 404
    )
    own = client.get(
        reverse("patients:visit_summary"), {"start": "2027-01-01", "end": "2027-06-10"}
    )
    body = own.content.decode()
    assert "ondine-secret-note" in body
    assert "itchy for a day" not in body and "guselkumab" not in body


@pytest.mark.now(NOW)
def test_sharing_a_period_shows_it_on_the_specialists_page(client, history, clinician):
    CareLink.objects.create(patient=history.patient, clinician=clinician)
    sign_in(client, history.patient)
    response = client.post(
        reverse("patients:share_summary"), {"start": "2027-02-01", "end": "2027-06-01"}
    )
    assert response.status_code == 302
    preparation = VisitPreparation.objects.get(patient=history.patient)
    assert (preparation.shared_start, preparation.shared_end) == (
        date(2027, 2, 1),
        date(2027, 6, 1),
    )

    client.logout()
    sign_in(client, clinician)
    page = client.get(
        reverse("patients:clinic_patient", args=[history.patient.pk])
    ).content.decode()
    url = reverse("patients:clinic_summary", args=[history.patient.pk])
    assert f"{url}?start=2027-02-01&amp;end=2027-06-01" in page


@pytest.mark.now(NOW)
def test_a_registered_section_is_shown_in_the_page_and_the_pdf(client, history, monkeypatch):
    monkeypatch.setattr(
        sections, "SECTION_PROVIDERS", ["tests.patients.test_summary.example_section"]
    )
    monkeypatch.setattr(sections, "HELD_DOSE_PROVIDERS", ["tests.patients.test_summary.held_dose"])
    sign_in(client, history.patient)
    query = {"start": "2027-01-01", "end": "2027-06-10"}
    page = client.get(reverse("patients:visit_summary"), query).content.decode()
    assert "Journal example" in page and "example-body-text" in page
    text = pdf_text(client.get(reverse("patients:visit_summary_pdf"), query).content)
    assert "example-body-text" in text
    assert squeeze("Suspendue : fever") in text  # French, the default language
    assert squeeze("1 suspendue(s)") in text and squeeze("0 manquée(s)") in text


def example_section(*, patient, period, today, treatments, viewer):
    return sections.Section(
        key="journal-example",
        title="Journal example",
        template="patients/summary/section_text.html",
        data={"paragraphs": ["example-body-text"]},
    )


def held_dose(*, patient, treatments, period, viewer):
    return {treatments[0].pk: {3: "fever"}}
