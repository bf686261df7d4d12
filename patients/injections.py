"""Logging, editing, deleting and restoring injections."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Injection, Treatment
from patients.treatments import planned_dose


class DoseAlreadyLogged(ValueError):
    """Another live entry already fulfils this dose."""


def _local_day(treatment: Treatment, taken_at: datetime):
    return taken_at.astimezone(treatment.patient.zone).date()


def record_injection(
    *,
    treatment: Treatment,
    dose_number: int,
    taken_at: datetime,
    site: str,
    lot_number: str = "",
    reaction: str = "none",
    note: str = "",
) -> Injection:
    """Log one dose. The devices it used come from the plan (Taltz week 0: two pens)."""
    try:
        with transaction.atomic():
            return Injection.objects.create(
                treatment=treatment,
                dose_number=dose_number,
                taken_at=taken_at,
                taken_on=_local_day(treatment, taken_at),
                site=site,
                lot_number=lot_number.strip(),
                reaction=reaction,
                note=note.strip(),
                devices_used=planned_dose(treatment, dose_number).devices,
            )
    except IntegrityError:
        raise DoseAlreadyLogged(dose_number) from None


def update_injection(
    *,
    injection: Injection,
    dose_number: int,
    taken_at: datetime,
    site: str,
    lot_number: str = "",
    reaction: str = "none",
    note: str = "",
) -> Injection:
    treatment = injection.treatment
    injection.dose_number = dose_number
    injection.taken_at = taken_at
    injection.taken_on = _local_day(treatment, taken_at)
    injection.site = site
    injection.lot_number = lot_number.strip()
    injection.reaction = reaction
    injection.note = note.strip()
    injection.devices_used = planned_dose(treatment, dose_number).devices
    try:
        with transaction.atomic():
            injection.save()
    except IntegrityError:
        raise DoseAlreadyLogged(dose_number) from None
    return injection


def delete_injection(*, injection: Injection) -> None:
    """Soft delete, so the patient can undo it from the confirmation message."""
    injection.deleted_at = timezone.now()
    injection.save(update_fields=["deleted_at", "updated_at"])


def restore_injection(*, injection: Injection) -> None:
    deleted_at, injection.deleted_at = injection.deleted_at, None
    try:
        with transaction.atomic():
            injection.save(update_fields=["deleted_at", "updated_at"])
    except IntegrityError:
        injection.deleted_at = deleted_at  # the dose was logged again meanwhile
        raise DoseAlreadyLogged(injection.dose_number) from None
