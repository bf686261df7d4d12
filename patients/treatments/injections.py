"""Logging, editing, deleting and restoring injections."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Injection, StockDelivery, Treatment
from patients.treatments.reads import planned_dose
from patients.treatments.reminders import plan_reminders


class DoseAlreadyLogged(ValueError):
    """Another live entry already fulfils this dose."""


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
