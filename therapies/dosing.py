"""Dose-plan arithmetic: pure functions, no ORM, no clock (`today` is always a parameter).

A regimen is a list of loading doses at fixed week offsets from the first injection ("week 0"),
then maintenance doses every N weeks or N calendar months. Maintenance is counted from the last
loading dose unless the label starts it at its own week (adalimumab: 40 mg from week 1).

Missed or late dose: give the late dose as soon as possible, then return to the regular scheduled
dates. That is the default rule here: planned dates never move because a dose was late. Only a
clinician override of a single dose moves a date. Where the rule comes from differs per drug (the US
labels of Skyrizi and Taltz, the Swiss leaflet of Ilumetri, Janssen's information for Tremfya; the
EU Taltz SmPC gives no rule): each catalogue file says it in its [missed_dose] source.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

ON_TIME_WINDOW_DAYS = 3


class IntervalUnit(StrEnum):
    WEEKS = "weeks"
    MONTHS = "months"


class Phase(StrEnum):
    LOADING = "loading"
    MAINTENANCE = "maintenance"


class MissedDoseRule(StrEnum):
    RESUME_ORIGINAL_PLAN = "resume_original_plan"


@dataclass(frozen=True)
class LoadingDose:
    week: int
    dose_mg: int
    devices: int


@dataclass(frozen=True)
class RegimenSpec:
    loading: tuple[LoadingDose, ...]
    every: int
    unit: IntervalUnit
    dose_mg: int
    devices: int
    start_week: int | None = None

    def __post_init__(self) -> None:
        weeks = [dose.week for dose in self.loading]
        if self.every < 1:
            raise ValueError("The maintenance interval must be at least 1.")
        if weeks and weeks[0] != 0:
            raise ValueError("The first loading dose is the first injection (week 0).")
        if any(b <= a for a, b in itertools.pairwise(weeks)):
            raise ValueError("Loading weeks must be strictly increasing.")
        if self.start_week is not None and weeks and self.start_week <= weeks[-1]:
            raise ValueError("Maintenance must start after the last loading dose.")
        if self.start_week is not None and self.start_week < 0:
            raise ValueError("Maintenance cannot start before the first injection.")
        if self.devices < 1 or any(dose.devices < 1 for dose in self.loading):
            raise ValueError("Every dose uses at least one device.")


@dataclass(frozen=True)
class PlannedDose:
    number: int  # 1 for the first injection
    date: date
    dose_mg: int
    devices: int
    phase: Phase
    overridden: bool = False


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the month's end.

    31 January + 1 month = 28 (or 29) February.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# A plan ends after this many doses, or where the calendar ends (year 9999), whichever comes
# first. Forms take first doses from 2000 on (patients.forms.fields.EARLIEST_DATE): a dose every
# two weeks from then reaches 2038 within this count, so no real plan is cut, while a first dose
# stored as year 1 (written straight into the database) costs at most this many steps per walk
# instead of one per week since the year 1 (issue 17, item 2).
MAX_PLAN_DOSES = 1000


def _maintenance_dates(spec: RegimenSpec, first_dose: date) -> Iterator[date]:
    try:
        if spec.start_week is not None:
            anchor, first_step = first_dose + timedelta(weeks=spec.start_week), 0
        else:
            last_loading_week = spec.loading[-1].week if spec.loading else 0
            anchor, first_step = first_dose + timedelta(weeks=last_loading_week), 1
        for step in itertools.count(first_step):
            # Always count from the anchor, never from the previous date, so that month-end
            # clamping (31 Jan -> 28 Feb) does not drift the whole plan to the 28th.
            if spec.unit == IntervalUnit.MONTHS:
                yield add_months(anchor, step * spec.every)
            else:
                yield anchor + timedelta(weeks=step * spec.every)
    except (
        OverflowError,
        ValueError,
    ):  # past 31 December 9999: the calendar ends, so does the plan
        return


def _loading_dates(spec: RegimenSpec, first_dose: date) -> Iterator[tuple]:
    for dose in spec.loading:
        try:
            day = first_dose + timedelta(weeks=dose.week)
        except OverflowError:
            return
        yield (day, dose.dose_mg, dose.devices, Phase.LOADING)


def devices_of_dose(spec: RegimenSpec, number: int) -> int:
    """How many devices dose `number` takes: its loading dose's, or the maintenance count.

    The same as `planned_doses` gives (loading doses come first), without walking the plan.
    """
    if number <= len(spec.loading):
        return spec.loading[number - 1].devices
    return spec.devices


def planned_doses(
    spec: RegimenSpec, first_dose: date, *, overrides: Mapping[int, date] | None = None
) -> Iterator[PlannedDose]:
    """Every planned dose, in order, up to MAX_PLAN_DOSES (or the end of the calendar).
    `overrides` maps a dose number to a new date."""
    overrides = overrides or {}
    loading = _loading_dates(spec, first_dose)
    maintenance = (
        (day, spec.dose_mg, spec.devices, Phase.MAINTENANCE)
        for day in _maintenance_dates(spec, first_dose)
    )
    every_dose = itertools.islice(itertools.chain(loading, maintenance), MAX_PLAN_DOSES)
    for number, (day, dose_mg, devices, phase) in enumerate(every_dose, start=1):
        moved = overrides.get(number)
        yield PlannedDose(
            number=number,
            date=moved or day,
            dose_mg=dose_mg,
            devices=devices,
            phase=phase,
            overridden=moved is not None and moved != day,
        )


def plan(
    spec: RegimenSpec,
    first_dose: date,
    *,
    count: int | None = None,
    until: date | None = None,
    overrides: Mapping[int, date] | None = None,
) -> list[PlannedDose]:
    """The first `count` doses, or every dose planned on or before `until` (one is required)."""
    if count is None and until is None:
        raise ValueError("Give a count or an end date.")
    doses: Iterable[PlannedDose] = planned_doses(spec, first_dose, overrides=overrides)
    if until is not None:
        # Overrides keep the order of doses (checked where they are entered), so dates only grow.
        doses = itertools.takewhile(lambda d: d.date <= until, doses)
    if count is not None:
        doses = itertools.islice(doses, count)
    return list(doses)


def doses_through(
    spec: RegimenSpec,
    first_dose: date,
    *,
    until: date,
    at_least: int = 0,
    overrides: Mapping[int, date] | None = None,
) -> list[PlannedDose]:
    """Doses planned on or before `until`, and at least the first `at_least` of them."""
    result = []
    for dose in planned_doses(spec, first_dose, overrides=overrides):
        if dose.number > at_least and dose.date > until:
            break
        result.append(dose)
    return result


@dataclass(frozen=True)
class DoseStatus:
    """Where the patient stands today against the plan."""

    next_dose: PlannedDose
    days_until: int  # negative when the dose is late
    overdue: bool
    skipped: tuple[PlannedDose, ...] = field(default=())  # never logged, a later dose was

    @property
    def days_late(self) -> int:
        return max(0, -self.days_until)


def dose_status(doses: Iterable[PlannedDose], taken: Mapping[int, date], today: date) -> DoseStatus:
    """The next dose is the first planned dose after the last one logged.

    `doses` must reach past the last logged dose number (an endless `planned_doses` is fine).
    """
    last_taken = max(taken, default=0)
    skipped = []
    for dose in doses:
        if dose.number in taken:
            continue
        if dose.number < last_taken:
            skipped.append(dose)
            continue
        days = (dose.date - today).days
        return DoseStatus(next_dose=dose, days_until=days, overdue=days < 0, skipped=tuple(skipped))
    raise ValueError("The plan ended before the next dose; pass more doses.")


@dataclass(frozen=True)
class Adherence:
    """Share of doses taken within ±ON_TIME_WINDOW_DAYS of their planned date.

    A dose counts once its window has closed (planned date + window is past) or once it is logged,
    so a dose due tomorrow does not lower the figure.
    """

    on_time: int
    counted: int
    window_days: int = ON_TIME_WINDOW_DAYS

    @property
    def percent(self) -> int | None:
        return None if self.counted == 0 else round(100 * self.on_time / self.counted)


def adherence(
    doses: Iterable[PlannedDose],
    taken: Mapping[int, date],
    today: date,
    *,
    window_days: int = ON_TIME_WINDOW_DAYS,
) -> Adherence:
    on_time = counted = 0
    for dose in doses:
        window_closed = (today - dose.date).days > window_days  # no date arithmetic to overflow
        if dose.number not in taken and not window_closed:
            if dose.date > today:
                break
            continue
        counted += 1
        if dose.number in taken and abs((taken[dose.number] - dose.date).days) <= window_days:
            on_time += 1
    return Adherence(on_time=on_time, counted=counted, window_days=window_days)


@dataclass(frozen=True)
class SoonAfterLate:
    """The last dose logged was late, and the next one is planned soon after it."""

    late_dose: int
    taken_on: date
    next_dose: PlannedDose
    days_between: int


def next_dose_soon_after_late(
    doses: Iterable[PlannedDose], taken: Mapping[int, date], status: DoseStatus
) -> SoonAfterLate | None:
    """When the last dose logged was taken after its planned date, and the next planned dose
    (not yet late) falls less than half the planned gap between those two doses after it (the
    maintenance interval, or the loading gap early on): a patient who injected 27 days late
    then reads "dose 2 is planned today" (issue 18, D6). The plan does not move: the page only
    says so, with the product's rule or a word to ask the specialist. None otherwise."""
    if status.overdue or not taken:
        return None
    last = max(taken)
    planned = next((d for d in doses if d.number == last), None)
    if planned is None or taken[last] <= planned.date:
        return None
    nxt = status.next_dose
    days_between = (nxt.date - taken[last]).days
    planned_gap = (nxt.date - planned.date).days
    if days_between < 0 or 2 * days_between >= planned_gap:
        return None
    return SoonAfterLate(
        late_dose=last, taken_on=taken[last], next_dose=nxt, days_between=days_between
    )
