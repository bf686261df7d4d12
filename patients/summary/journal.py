"""The journal in the visit summary and the FHIR export (issue 21 with issue 20): registered in
`patients.summary.sections`, read through its three registries.

- `held_doses`: a dose the patient recorded as held (journal entry "dose held or delayed") is
  counted and listed as held, with its reason, instead of missed. An entry is tied to the
  planned dose nearest its date among those not taken (ties: the earlier dose).
- `journal_section`: side effects, infections, serious reactions and doses held in the period,
  newest first.
- `scores_section`: each score's trend over the period as an SVG chart with its figures in a
  table and a sentence (the charts of the journal, drawn for the period instead of 12 months).
- `observations`: the scores and the entries as FHIR Observations (category "survey").

The journal is the patient's to share: a specialist reads these parts only when the patient
shares the journal with them (`viewer`); the patient always does. A fixed number of queries
whatever the length of the history (two for the entries and scores, one for the sharing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from django.utils.translation import gettext as _
from fhir.resources.R4B.observation import Observation

from patients.journal.charts import trend_charts
from patients.journal.sharing import is_shared_with
from patients.models import HeldReason, JournalEntry, ScoreSet, Treatment, User
from patients.summary.data import Period
from patients.summary.fhir import urn
from patients.summary.sections import Section
from patients.treatments.reads import doses_until

# The summary is read in a minute, on two pages: the newest entries (the journal has the rest),
# and the scores' figures a row per month.
MAX_ENTRIES = 8

SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def _visible(patient: User, viewer: User | None) -> bool:
    return (
        viewer is None
        or viewer.pk == patient.pk
        or is_shared_with(patient=patient, clinician=viewer)
    )


def _entries(patient: User, period: Period) -> list[JournalEntry]:
    return list(
        JournalEntry.objects.live()
        .filter(patient=patient, occurred_on__gte=period.start, occurred_on__lte=period.end)
        .select_related("treatment__drug")
        .order_by("-occurred_on", "-created_at")
    )


def held_doses(
    *, patient: User, treatments: list[Treatment], period: Period, viewer: User | None = None
) -> Mapping[int, Mapping[int, str]]:
    if not treatments or not _visible(patient, viewer):
        return {}
    held = [e for e in _entries(patient, period) if e.dose_held and e.treatment_id is not None]
    found: dict[int, dict[int, str]] = {}
    for treatment in treatments:
        entries = [e for e in held if e.treatment_id == treatment.pk]
        if not entries:
            continue
        taken = {i.dose_number for i in treatment.live_injections}
        open_doses = [
            d
            for d in doses_until(treatment, until=period.end + timedelta(days=1), taken=taken)
            if d.number not in taken and period.start <= d.date <= period.end
        ]
        for entry in entries:
            if not open_doses:
                break
            nearest = min(
                open_doses, key=lambda d: (abs((d.date - entry.occurred_on).days), d.date)
            )
            reason = (
                HeldReason(entry.held_reason).label if entry.held_reason else _("no reason given")
            )
            found.setdefault(treatment.pk, {})[nearest.number] = str(reason)
    return found


def journal_section(
    *,
    patient: User,
    period: Period,
    today: date,
    treatments: list[Treatment],
    viewer: User | None = None,
) -> Section | None:
    if not _visible(patient, viewer):
        return None
    entries = [
        e
        for e in _entries(patient, period)
        if e.site_reaction not in ("", "none")
        or e.side_effects
        or e.serious
        or e.infection
        or e.dose_held
    ]
    return Section(
        key="summary-journal",
        title=_("Side effects, infections and doses held (journal)"),
        template="patients/summary/journal_section.html",
        data={"entries": entries[:MAX_ENTRIES], "more": max(len(entries) - MAX_ENTRIES, 0)},
    )


def _by_month(chart) -> list[dict]:
    """The figures of one score, a row per month: how many, lowest, highest, latest."""
    months: dict[date, list] = {}
    for point in chart.points:
        months.setdefault(point.day.replace(day=1), []).append(point)
    return [
        {
            "month": month,
            "count": len(points),
            "low": min(p.value for p in points),
            "high": max(p.value for p in points),
            "last": points[-1].value,
        }
        for month, points in sorted(months.items())
    ]


def scores_section(
    *,
    patient: User,
    period: Period,
    today: date,
    treatments: list[Treatment],
    viewer: User | None = None,
) -> Section | None:
    if not _visible(patient, viewer):
        return None
    rows = list(
        ScoreSet.objects.live()
        .filter(patient=patient, recorded_on__gte=period.start, recorded_on__lte=period.end)
        .values("recorded_on", "itch", "skin_overall", "skin_palms", "joint_pain_score")
    )
    dose_dates = [
        i.taken_on
        for t in treatments
        for i in t.live_injections
        if period.start <= i.taken_on <= period.end
    ]
    charts = trend_charts(
        rows=rows,
        dose_dates=dose_dates,
        today=period.end,
        period=max(period.end - period.start, timedelta(days=1)),
    )
    return Section(
        key="summary-scores",
        title=_("Symptom scores"),
        template="patients/summary/scores_section.html",
        data={
            "charts": [(chart, _by_month(chart)) for chart in charts if chart.points],
            "any": bool(rows),
        },
    )


def _observation(
    key: str, pk: int, patient_reference: str, day: date, text: str, value
) -> Observation:
    data = {
        "resourceType": "Observation",
        "id": urn(key, pk).removeprefix("urn:uuid:"),
        "status": "final",
        "category": [SURVEY],
        "code": {"text": text},
        "subject": {"reference": patient_reference},
        "effectiveDateTime": day.isoformat(),
    }
    if isinstance(value, bool):
        data["valueBoolean"] = value
    elif isinstance(value, int):
        data["valueInteger"] = value
    else:
        data["valueString"] = value
    return Observation.model_validate(data)


SCORE_TEXTS = (
    ("itch", "Itch in the last 24 hours (0-10), patient-reported"),
    ("skin_overall", "Skin overall (0 best, 10 worst), patient-reported"),
    ("skin_palms", "Skin area in palms (one palm about 1 % of the body), patient-reported"),
    ("joint_pain", "Joint pain, patient-reported"),
    ("joint_pain_score", "Joint pain (0-10), patient-reported"),
)


def observations(*, patient: User, patient_reference: str) -> Iterable[Observation]:
    """The scores and the journal entries, in English (the export's language), one Observation
    per recorded value; ids stable across exports."""
    for scores in ScoreSet.objects.live().filter(patient=patient).order_by("recorded_on", "pk"):
        for field, text in SCORE_TEXTS:
            value = getattr(scores, field)
            if value is not None:
                yield _observation(
                    f"score-{field}", scores.pk, patient_reference, scores.recorded_on, text, value
                )
    entries = JournalEntry.objects.live().filter(patient=patient).order_by("occurred_on", "pk")
    for entry in entries:
        parts = [
            (
                entry.site_reaction not in ("", "none"),
                "site",
                "Injection-site reaction",
                entry.site_reaction,
            ),
            (bool(entry.side_effects), "side", "Other side effects", entry.side_effects),
            (entry.serious, "serious", "Reaction that felt serious (urgent care needed)", True),
            (entry.infection, "infection", "Infection", _infection_text(entry)),
            (
                entry.dose_held,
                "held",
                "Dose held or delayed",
                entry.held_reason or "no reason given",
            ),
        ]
        for present, key, text, value in parts:
            if present:
                yield _observation(
                    f"journal-{key}", entry.pk, patient_reference, entry.occurred_on, text, value
                )


def _infection_text(entry: JournalEntry) -> str:
    details = [entry.infection_what or "not described"]
    for flag, word in (
        (entry.fever, "fever"),
        (entry.antibiotics, "antibiotics"),
        (entry.seen_doctor, "seen by a doctor"),
    ):
        if flag is not None:
            details.append(f"{word}: {'yes' if flag else 'no'}")
    return "; ".join(details)
