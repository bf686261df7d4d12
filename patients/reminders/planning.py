"""When a dose's reminders fall due: pure functions of the planned date, the patient's settings
and their zone (no database, no clock), and the outbox row of a dose reminder."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from patients.models import Kind, Reminder, Treatment
from patients.reminders.outbox import outbox_row
from patients.timeutils import local_moment

OVERDUE_REPEATS = 3  # the day after the planned date, then weekly: at most three
OVERDUE_EVERY = timedelta(weeks=1)
# Every kind about one planned dose: cancelled, moved and revived together.
DOSE_KINDS = (Kind.UPCOMING_DOSE, Kind.OVERDUE_DOSE, Kind.GET_READY)
READY_OCCURRENCE = "ready"


@dataclass(frozen=True)
class Moment:
    kind: str
    occurrence: str
    at: datetime  # UTC


def dose_moments(
    *,
    dose_number: int,
    dose_on: date,
    lead_days: Sequence[int],
    hour: int,
    zone: ZoneInfo,
    ready: tuple[time, int] | None = None,
) -> list[Moment]:
    """The reminders of one planned dose, in time order.

    `ready` = (the patient's usual injection time, the label's minutes at room temperature):
    the "get ready" reminder comes that many minutes before that time on the dose day.
    """
    times = _moment_times(dose_on, tuple(sorted(set(lead_days))), hour, zone, ready)
    return [Moment(kind, f"dose-{dose_number}:{name}", at) for kind, name, at in times]


def get_ready_time(dose_on: date, at: time, minutes: int, zone: ZoneInfo) -> datetime:
    """`minutes` before the usual injection time `at` on `dose_on` in `zone`, in UTC.

    The wall time is read as `local_moment` reads an hour: on the spring-forward day a time the
    clocks skip lands as much later, on the fall-back day a repeated time is its first
    occurrence. The minutes are real minutes before that instant.
    """
    injection = datetime.combine(dose_on, at.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)
    return injection - timedelta(minutes=minutes)


@functools.lru_cache(maxsize=4096)
def _moment_times(
    dose_on: date,
    lead_days: tuple[int, ...],
    hour: int,
    zone: ZoneInfo,
    ready: tuple[time, int] | None = None,
) -> tuple[tuple[str, str, datetime], ...]:
    # Cached: in a scan, thousands of treatments share a dose date, an hour and a zone.
    wanted = [(Kind.UPCOMING_DOSE, f"lead-{lead}", -timedelta(days=lead)) for lead in lead_days]
    wanted += [
        (Kind.OVERDUE_DOSE, f"late-{repeat}", timedelta(days=1) + (repeat - 1) * OVERDUE_EVERY)
        for repeat in range(1, OVERDUE_REPEATS + 1)
    ]
    moments = []
    for kind, name, shift in wanted:
        try:
            moments.append((kind, name, local_moment(dose_on + shift, hour, zone)))
        except OverflowError:  # a moment past the calendar's end (year 9999) never comes
            continue
    if ready is not None:
        try:
            at = get_ready_time(dose_on, ready[0], ready[1], zone)
            moments.append((Kind.GET_READY, READY_OCCURRENCE, at))
        except OverflowError:
            pass
    return tuple(sorted(moments, key=lambda m: m[2]))


def latest_due(moments: Sequence[Moment], *, now: datetime) -> Moment | None:
    """The most recent moment that has passed: after a delay it supersedes the earlier ones."""
    return next((m for m in reversed(moments) if m.at <= now), None)


def due_together(moments: Sequence[Moment], *, now: datetime) -> list[Moment]:
    """The latest due moment and any other at the same instant (a "get ready" reminder may fall
    on the hour of a dose reminder: both are written)."""
    latest = latest_due(moments, now=now)
    return [m for m in moments if latest is not None and m.at == latest.at]


def next_moment(moments: Sequence[Moment], *, after: datetime) -> Moment | None:
    return next((m for m in moments if m.at > after), None)


def next_reminder_time(moments: Sequence[Moment], *, now: datetime, zone: ZoneInfo):
    """When the scan should next look at a treatment, just after a change.

    A moment earlier today still counts (the patient set things up after the hour, or moved the
    hour earlier), so today's reminder is not lost; older ones are not sent late.
    """
    due = latest_due(moments, now=now)
    if due is not None and due.at.astimezone(zone).date() == now.astimezone(zone).date():
        return due.at
    upcoming = next_moment(moments, after=now)
    return upcoming.at if upcoming else None


def dose_row(
    treatment: Treatment | int,
    kind: str,
    occurrence: str,
    channel: str,
    now: datetime,
    *,
    dose: int,
    on: date,
    due_at: datetime | None = None,
    patient_id: int | None = None,
) -> Reminder:
    """An outbox row about dose `dose` (planned `on`); `treatment` may be just its id."""
    return outbox_row(
        patient_id=patient_id or treatment.patient_id,
        kind=kind,
        occurrence=occurrence,
        channel=channel,
        now=now,
        due_at=due_at,
        treatment_id=getattr(treatment, "pk", treatment),
        dose_number=dose,
        about_date=on,
    )
