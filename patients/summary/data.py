"""The visit summary's content: one patient, one bounded period, read in a fixed number of
queries whatever the length of the history (`build_summary`), and the pure classification of
each planned dose (`dose_rows`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db.models import Prefetch, Q

from patients import timeutils
from patients.models import (
    ChecklistItem,
    DoseOverride,
    Injection,
    StockDelivery,
    Treatment,
    User,
    VisitPreparation,
)
from patients.summary import sections
from patients.treatments import packs as pack_maths
from patients.treatments.reads import devices_left_of, doses_until, is_low_stock
from therapies import dosing

DEFAULT_PERIOD = timedelta(weeks=16)
# A summary is read in a minute: a year at most (a weekly treatment lists its exceptions only).
MAX_PERIOD_DAYS = 366
NEXT_DOSES = 3


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("A period starts before it ends.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def default_period(*, preparation: VisitPreparation | None, today: date) -> Period:
    """Since the last visit the patient entered (when it is within a year), else 16 weeks."""
    last = preparation.last_visit_on if preparation else None
    if last and today - timedelta(days=MAX_PERIOD_DAYS - 1) <= last <= today:
        return Period(last, today)
    return Period(today - DEFAULT_PERIOD, today)


class Outcome(StrEnum):
    ON_TIME = "on_time"
    EARLY = "early"
    LATE = "late"
    MISSED = "missed"
    HELD = "held"
    DUE = "due"  # planned in the period, not logged, its on-time window still open


@dataclass(frozen=True)
class DoseRow:
    number: int
    planned_on: date
    dose_mg: int
    devices: int
    outcome: Outcome
    taken_on: date | None = None
    days_off: int = 0  # how many days early or late
    reason: str = ""  # why it was held
    injection: Injection | None = None


@dataclass(frozen=True)
class DoseCounts:
    planned: int
    on_time: int
    early: int
    late: int
    missed: int
    held: int
    due: int

    @classmethod
    def of(cls, rows: Iterable[DoseRow]) -> DoseCounts:
        rows = list(rows)
        count = {o: sum(r.outcome == o for r in rows) for o in Outcome}
        return cls(
            planned=len(rows),
            on_time=count[Outcome.ON_TIME],
            early=count[Outcome.EARLY],
            late=count[Outcome.LATE],
            missed=count[Outcome.MISSED],
            held=count[Outcome.HELD],
            due=count[Outcome.DUE],
        )


def dose_rows(
    doses: Iterable[dosing.PlannedDose],
    taken: Mapping[int, Injection],
    *,
    period: Period,
    today: date,
    held: Mapping[int, str] | None = None,
    window_days: int = dosing.ON_TIME_WINDOW_DAYS,
) -> list[DoseRow]:
    """Each dose planned in `period` (and not after `today`), with what became of it.

    On time means within ±window_days of the planned date, the rule of the dashboard's
    adherence figure (`therapies.dosing.adherence`); a dose not logged is missed once that
    window has closed, unless it was held (`held`: dose number -> reason).
    """
    held = held or {}
    rows = []
    for dose in doses:
        if dose.date > period.end or dose.date > today:
            break
        if dose.date < period.start:
            continue
        common = {"number": dose.number, "planned_on": dose.date}
        common |= {"dose_mg": dose.dose_mg, "devices": dose.devices}
        injection = taken.get(dose.number)
        if injection is not None:
            delay = (injection.taken_on - dose.date).days
            outcome = Outcome.ON_TIME
            if delay > window_days:
                outcome = Outcome.LATE
            elif delay < -window_days:
                outcome = Outcome.EARLY
            rows.append(
                DoseRow(
                    **common,
                    outcome=outcome,
                    taken_on=injection.taken_on,
                    days_off=abs(delay),
                    injection=injection,
                )
            )
        elif dose.number in held:
            rows.append(DoseRow(**common, outcome=Outcome.HELD, reason=held[dose.number]))
        elif dose.date + timedelta(days=window_days) < today:
            rows.append(DoseRow(**common, outcome=Outcome.MISSED))
        else:
            rows.append(DoseRow(**common, outcome=Outcome.DUE))
    return rows


def stock_covers_until(
    devices_left: int | None, upcoming: Iterable[dosing.PlannedDose]
) -> date | None:
    """The date of the last coming dose the devices in stock cover (None: none, or unknown)."""
    if devices_left is None:
        return None
    last = None
    for dose in upcoming:
        if dose.devices > devices_left:
            break
        devices_left -= dose.devices
        last = dose.date
    return last


@dataclass(frozen=True)
class BatchUse:
    """A batch given in the period (issue 22): which doses, when, and its expiry when the
    dose's pack says so. What a report of a side effect to a batch needs."""

    batch: str
    expires_on: date | None
    doses: list[int]
    first_on: date
    last_on: date


def batches_given(injections: Iterable[Injection]) -> tuple[list[BatchUse], int]:
    """The batches of `injections`, in the order first given, and how many had none recorded."""
    groups: dict[tuple[str, date | None], list[Injection]] = {}
    without = 0
    for injection in sorted(injections, key=lambda i: (i.taken_on, i.dose_number)):
        key = pack_maths.batch_of_dose(injection)
        if not key[0]:
            without += 1
            continue
        groups.setdefault(key, []).append(injection)
    uses = [
        BatchUse(
            batch=batch,
            expires_on=expires_on,
            doses=[i.dose_number for i in given],
            first_on=given[0].taken_on,
            last_on=given[-1].taken_on,
        )
        for (batch, expires_on), given in groups.items()
    ]
    return uses, without


@dataclass(frozen=True)
class TreatmentSummary:
    treatment: Treatment
    rows: list[DoseRow]
    counts: DoseCounts
    next_doses: list[dosing.PlannedDose]
    devices_left: int | None
    low_stock: bool
    covered_until: date | None
    reactions: list[Injection]  # injections in the period with a site reaction or a note
    batches: list[BatchUse]  # the batches given in the period
    doses_without_batch: int  # doses given in the period with no batch recorded

    @property
    def exceptions(self) -> list[DoseRow]:
        """What a specialist reads first: every dose not taken on time."""
        return [r for r in self.rows if r.outcome != Outcome.ON_TIME]

    @property
    def most_late(self) -> int:
        return max((r.days_off for r in self.rows if r.outcome == Outcome.LATE), default=0)


@dataclass(frozen=True)
class VisitSummary:
    patient: User
    period: Period
    today: date
    made_at: datetime
    treatments: list[TreatmentSummary]
    open_items: list[ChecklistItem]
    preparation: VisitPreparation | None
    extra_sections: list[sections.Section]

    @property
    def window_days(self) -> int:
        return dosing.ON_TIME_WINDOW_DAYS

    @property
    def questions(self) -> str:
        return self.preparation.questions if self.preparation else ""

    @property
    def condition(self) -> str:
        return self.preparation.condition if self.preparation else ""


def treatments_for_summary(patient: User, period: Period):
    """The treatments running at some point of the period, with their live injections (and
    the pack of each), overrides and packs received: four queries whatever their number and
    history."""
    return (
        Treatment.objects.filter(patient=patient, first_dose_on__lte=period.end)
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=period.start))
        .select_related("drug", "regimen")
        .prefetch_related(
            Prefetch("overrides", queryset=DoseOverride.objects.all(), to_attr="all_overrides"),
            Prefetch(
                "injections",
                queryset=Injection.objects.live().select_related("pack").order_by("taken_at"),
                to_attr="live_injections",
            ),
            Prefetch("stock_deliveries", queryset=StockDelivery.objects.all(), to_attr="all_packs"),
        )
        .order_by("first_dose_on", "pk")
    )


def open_checklist_items(patient: User):
    """Items of the checklists shared with the patient that are not verified yet."""
    return (
        ChecklistItem.objects.filter(
            checklist__patient=patient,
            checklist__shared_at__isnull=False,
            verified_at__isnull=True,
        )
        .select_related("checklist__drug")
        .order_by("checklist__created_at", "position", "pk")
    )


def summarize_treatment(
    treatment: Treatment, *, period: Period, today: date, held: Mapping[int, str]
) -> TreatmentSummary:
    injections = treatment.live_injections
    taken = {i.dose_number: i for i in injections}
    horizon = max(today, period.end) + timedelta(days=400)
    doses = doses_until(treatment, until=horizon, taken=taken)
    rows = dose_rows(doses, taken, period=period, today=today, held=held)
    stopped = treatment.stopped_on is not None
    next_doses: list[dosing.PlannedDose] = []
    devices_left = devices_left_of(treatment, injections, today=today)
    if not stopped:
        status = dosing.dose_status(doses, {n: i.taken_on for n, i in taken.items()}, today)
        next_doses = [
            d for d in doses if d.number >= status.next_dose.number and d.number not in taken
        ][:NEXT_DOSES]
    low = bool(next_doses) and is_low_stock(devices_left, next_doses[0].devices)
    in_period = [i for i in injections if period.start <= i.taken_on <= period.end]
    reactions = [i for i in in_period if i.reaction != "none" or i.note]
    batches, without_batch = batches_given(in_period)
    return TreatmentSummary(
        treatment=treatment,
        rows=rows,
        counts=DoseCounts.of(rows),
        next_doses=next_doses,
        devices_left=devices_left,
        low_stock=low,
        covered_until=stock_covers_until(devices_left, next_doses) if next_doses else None,
        reactions=reactions,
        batches=batches,
        doses_without_batch=without_batch,
    )


def build_summary(
    *, patient: User, period: Period, now: datetime, viewer: User | None = None
) -> VisitSummary:
    """Everything the summary shows, for `period` in the patient's home calendar, to `viewer`
    (None: the patient; a specialist sees the journal only when the patient shares it)."""
    today = timeutils.local_today(patient.zone, now)
    preparation = VisitPreparation.objects.filter(patient=patient).first()
    treatments = list(treatments_for_summary(patient, period))
    held: dict[int, dict[int, str]] = {}
    for provider in sections.load(sections.HELD_DOSE_PROVIDERS):
        found = provider(patient=patient, treatments=treatments, period=period, viewer=viewer)
        for treatment_id, doses in found.items():
            held.setdefault(treatment_id, {}).update(doses)
    extra = [
        section
        for provider in sections.load(sections.SECTION_PROVIDERS)
        if (
            section := provider(
                patient=patient, period=period, today=today, treatments=treatments, viewer=viewer
            )
        )
        is not None
    ]
    return VisitSummary(
        patient=patient,
        period=period,
        today=today,
        made_at=now,
        treatments=[
            summarize_treatment(t, period=period, today=today, held=held.get(t.pk, {}))
            for t in treatments
        ],
        open_items=list(open_checklist_items(patient)),
        preparation=preparation,
        extra_sections=extra,
    )
