"""Logging, editing, deleting and restoring injections; what makes a logged date doubtful."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients import timeutils
from patients.models import Injection, InjectionSite, StockDelivery, Treatment
from patients.treatments.reads import planned_dose
from patients.treatments.reminders import plan_reminders
from therapies import dosing


class DoseAlreadyLogged(ValueError):
    """Another live entry already fulfils this dose."""


class Doubt(StrEnum):
    BEFORE_PREVIOUS = "before_previous"  # earlier than the dose logged before it
    FAR_FROM_PLAN = "far_from_plan"  # more than half an interval from its planned date


@dataclass(frozen=True)
class DoseDoubt:
    """Why a date deserves a second look before it is saved (a slip of day and month...)."""

    kind: Doubt
    taken_on: date  # the day in the patient's zone
    planned_on: date
    days_from_plan: int  # negative: early
    previous: Injection | None = None

    @property
    def days_off(self) -> int:
        return abs(self.days_from_plan)


def dose_interval_days(treatment: Treatment, dose_number: int) -> int:
    """Days between this dose's planned date and its neighbour's (the one before it, or for
    dose 1 the one after): the interval the plan expects around this dose."""
    here = planned_dose(treatment, dose_number).date
    other = planned_dose(treatment, dose_number - 1 if dose_number > 1 else 2).date
    return abs((here - other).days)


def doubts_about_dose(
    *,
    treatment: Treatment,
    dose_number: int,
    taken_at: datetime,
    editing: Injection | None = None,
) -> list[DoseDoubt]:
    """What is implausible about logging `dose_number` at `taken_at` (empty: nothing).

    Days are counted in the patient's zone, so a DST change never shifts a day; "before the
    previous dose" compares instants, so a repeated hour (clocks back) is judged correctly.
    """
    taken_on = taken_at.astimezone(treatment.patient.zone).date()
    planned_on = planned_dose(treatment, dose_number).date
    days = (taken_on - planned_on).days
    doubts = []
    earlier = treatment.injections.live().filter(dose_number__lt=dose_number)
    if editing is not None:
        earlier = earlier.exclude(pk=editing.pk)
    previous = earlier.order_by("-dose_number").first()
    if previous is not None and taken_at < previous.taken_at:
        doubts.append(
            DoseDoubt(Doubt.BEFORE_PREVIOUS, taken_on, planned_on, days, previous=previous)
        )
    if 2 * abs(days) > dose_interval_days(treatment, dose_number):
        doubts.append(DoseDoubt(Doubt.FAR_FROM_PLAN, taken_on, planned_on, days))
    return doubts


# A first injection further back than this is "long ago": the patient is asked to confirm and
# offered to log the doses taken since (a threshold of the interface, not a medical rule).
FIRST_DOSE_LONG_AGO = timedelta(weeks=4)


def first_dose_is_long_ago(*, first_dose_on: date, today: date) -> bool:
    return first_dose_on <= today - FIRST_DOSE_LONG_AGO


def doses_up_to(
    spec: dosing.RegimenSpec, first_dose_on: date, *, last_dose_on: date
) -> list[dosing.PlannedDose]:
    """The planned doses a patient took if their last one was on `last_dose_on`: every dose up
    to the one planned nearest that day (the later one on a tie)."""
    doses = []
    for dose in dosing.planned_doses(spec, first_dose_on):
        if dose.date > last_dose_on:
            if doses and (dose.date - last_dose_on) <= (last_dose_on - doses[-1].date):
                doses.append(dose)
            break
        doses.append(dose)
    return doses or [next(dosing.planned_doses(spec, first_dose_on))]


CATCH_UP_TIME = time(12, 0)  # never inside a DST change


def log_doses_taken_before(*, treatment: Treatment, last_dose_on: date) -> list[Injection]:
    """A patient already on treatment logs, in one step, the doses taken before using the app:
    the last one on `last_dose_on`, the earlier ones on their planned days. Their site was not
    recorded, and they used no device of the stock the app counts (boxes received earlier)."""
    doses = doses_up_to(
        treatment.regimen.spec(), treatment.first_dose_on, last_dose_on=last_dose_on
    )
    zone = treatment.patient.zone
    injections = []
    for dose in doses:
        day = last_dose_on if dose is doses[-1] else dose.date
        injections.append(
            Injection(
                treatment=treatment,
                dose_number=dose.number,
                taken_at=timeutils.local_to_utc(day, CATCH_UP_TIME, zone),
                taken_on=day,
                site=InjectionSite.NOT_RECORDED,
                devices_used=0,
            )
        )
    with transaction.atomic():
        Injection.objects.bulk_create(injections)
        plan_reminders(treatment=treatment, now=timezone.now())
    return injections


def _save(
    injection: Injection,
    *,
    dose_number: int,
    taken_at: datetime,
    site: str,
    lot_number: str,
    reaction: str,
    note: str,
    pack: StockDelivery | None = None,
) -> Injection:
    """Fill an entry (new or edited) and save it; the day and devices follow from the plan.
    The pack's batch becomes the lot number unless the patient typed another."""
    if pack is not None and pack.treatment_id != injection.treatment_id:
        raise ValueError("a pack of another treatment")
    treatment = injection.treatment
    injection.dose_number = dose_number
    injection.taken_at = taken_at
    injection.taken_on = taken_at.astimezone(treatment.patient.zone).date()
    injection.site = site
    injection.pack = pack
    injection.lot_number = lot_number.strip() or (pack.batch if pack else "")
    injection.reaction = reaction
    injection.note = note.strip()
    # Taltz week 0 uses two pens: the devices come from the planned dose, not a constant.
    injection.devices_used = planned_dose(treatment, dose_number).devices
    try:
        with transaction.atomic():
            injection.save()
            plan_reminders(treatment=treatment, now=timezone.now())
    except IntegrityError:
        raise DoseAlreadyLogged(dose_number) from None
    return injection


def record_injection(
    *,
    treatment: Treatment,
    dose_number: int,
    taken_at: datetime,
    site: str,
    lot_number: str = "",
    reaction: str = "none",
    note: str = "",
    pack: StockDelivery | None = None,
) -> Injection:
    """Log one dose; raises DoseAlreadyLogged when a live entry already fulfils it."""
    return _save(
        Injection(treatment=treatment),
        dose_number=dose_number,
        taken_at=taken_at,
        site=site,
        lot_number=lot_number,
        reaction=reaction,
        note=note,
        pack=pack,
    )


def update_injection(*, injection: Injection, **fields) -> Injection:
    """Change an entry; takes the same fields as record_injection."""
    return _save(injection, **fields)


def delete_injection(*, injection: Injection) -> None:
    """Soft delete, so the patient can undo it from the confirmation message."""
    injection.deleted_at = timezone.now()
    with transaction.atomic():
        injection.save(update_fields=["deleted_at", "updated_at"])
        plan_reminders(treatment=injection.treatment, now=injection.deleted_at)


def restore_injection(*, injection: Injection) -> None:
    deleted_at, injection.deleted_at = injection.deleted_at, None
    try:
        with transaction.atomic():
            injection.save(update_fields=["deleted_at", "updated_at"])
            plan_reminders(treatment=injection.treatment, now=timezone.now())
    except IntegrityError:
        injection.deleted_at = deleted_at  # the dose was logged again meanwhile
        raise DoseAlreadyLogged(injection.dose_number) from None
