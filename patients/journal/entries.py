"""Recording, editing, deleting and restoring journal entries (with undo, as injections)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from patients.journal import flags
from patients.models import Injection, JournalEntry, SiteReaction, Treatment, User

ENTRY_FIELDS = (
    "occurred_on",
    "site_reaction",
    "side_effects",
    "serious",
    "infection",
    "infection_what",
    "fever",
    "antibiotics",
    "seen_doctor",
    "dose_held",
    "held_reason",
    "note",
)


def _fill(entry: JournalEntry, fields: dict) -> None:
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"unknown entry fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    if not entry.infection:  # the details only mean something with an infection
        entry.infection_what, entry.fever, entry.antibiotics, entry.seen_doctor = (
            "",
            None,
            None,
            None,
        )
    if not entry.dose_held:
        entry.held_reason = ""


def record_entry(
    *,
    patient: User,
    treatment: Treatment | None = None,
    injection: Injection | None = None,
    now: datetime | None = None,
    **fields,
) -> JournalEntry:
    """A new entry; `fields` are those of ENTRY_FIELDS. Raises the specialists' flags."""
    now = now or timezone.now()
    if injection is not None:
        treatment = injection.treatment
    entry = JournalEntry(patient=patient, treatment=treatment, injection=injection)
    _fill(entry, fields)
    with transaction.atomic():
        entry.save()
        flags.raise_for_entry(entry=entry, now=now)
    return entry


def quick_reaction(
    *, patient: User, treatment: Treatment, reaction: str, today: date, now: datetime
) -> JournalEntry:
    """One tap from the dashboard: the reaction at the site of the latest logged dose."""
    if reaction not in SiteReaction.values:
        raise ValueError(reaction)
    injection = treatment.injections.live().order_by("-taken_at").first()
    return record_entry(
        patient=patient,
        treatment=treatment,
        injection=injection,
        now=now,
        occurred_on=today,
        site_reaction=reaction,
    )


def update_entry(*, entry: JournalEntry, now: datetime | None = None, **fields) -> JournalEntry:
    _fill(entry, fields)
    with transaction.atomic():
        entry.save()
        flags.raise_for_entry(entry=entry, now=now or timezone.now())
    return entry


def delete_entry(*, entry: JournalEntry, now: datetime | None = None) -> None:
    """Soft delete, so the patient can undo it; the flags it raised are withdrawn."""
    entry.deleted_at = now or timezone.now()
    with transaction.atomic():
        entry.save(update_fields=["deleted_at", "updated_at"])
        flags.withdraw(patient=entry.patient, key=flags.entry_key(entry))


def restore_entry(*, entry: JournalEntry, now: datetime | None = None) -> None:
    entry.deleted_at = None
    with transaction.atomic():
        entry.save(update_fields=["deleted_at", "updated_at"])
        flags.raise_for_entry(entry=entry, now=now or timezone.now())
