"""The journal in the person's data export, and its erasure (GDPR articles 15, 17 and 20)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from patients.models import JournalEntry, JournalFlag, JournalShare, ScoreSet, User


def _utc(moment):
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _day(value):
    return value.isoformat() if value else None


def journal_export(patient: User) -> dict:
    """Four queries: entries, scores, sharing answers, flags (deleted entries included, marked,
    as the injections are)."""
    entries = JournalEntry.objects.filter(patient=patient).order_by("occurred_on", "pk")
    scores = ScoreSet.objects.filter(patient=patient).order_by("recorded_on", "pk")
    shares = JournalShare.objects.filter(patient=patient).select_related("clinician")
    flags = JournalFlag.objects.filter(patient=patient).order_by("raised_at", "pk")
    return {
        "entries": [
            {
                "occurred_on": _day(e.occurred_on),
                "treatment_id": e.treatment_id,
                "site_reaction": e.site_reaction,
                "side_effects": e.side_effects,
                "serious": e.serious,
                "infection": e.infection,
                "infection_what": e.infection_what,
                "fever": e.fever,
                "antibiotics": e.antibiotics,
                "seen_doctor": e.seen_doctor,
                "dose_held": e.dose_held,
                "held_reason": e.held_reason,
                "note": e.note,
                "created_at": _utc(e.created_at),
                "deleted_at": _utc(e.deleted_at),
            }
            for e in entries
        ],
        "scores": [
            {
                "recorded_on": _day(s.recorded_on),
                "itch": s.itch,
                "skin_overall": s.skin_overall,
                "skin_palms": s.skin_palms,
                "skin_areas": s.skin_areas,
                "joint_pain": s.joint_pain,
                "joint_pain_score": s.joint_pain_score,
                "created_at": _utc(s.created_at),
                "deleted_at": _utc(s.deleted_at),
            }
            for s in scores
        ],
        "sharing": [
            {"clinician": str(s.clinician), "shared": s.shared, "decided_at": _utc(s.decided_at)}
            for s in shares
        ],
        "flags": [
            {
                "reason": f.reason,
                "about_date": _day(f.about_date),
                "raised_at": _utc(f.raised_at),
                "seen_at": _utc(f.seen_at),
            }
            for f in flags
        ],
    }


def journal_rows(patient: User) -> dict:
    """Everything of the journal, oldest first, for the PDF report, as the JSON holds it:
    deleted entries and scores included (marked), the sharing choices and the flags."""
    entries = JournalEntry.objects.filter(patient=patient).select_related("treatment__drug")
    return {
        "entries": list(entries.order_by("occurred_on", "pk")),
        "scores": list(ScoreSet.objects.filter(patient=patient).order_by("recorded_on", "pk")),
        "sharing": list(
            JournalShare.objects.filter(patient=patient)
            .select_related("clinician")
            .order_by("decided_at", "pk")
        ),
        "flags": list(JournalFlag.objects.filter(patient=patient).order_by("raised_at", "pk")),
    }


@transaction.atomic
def erase_journal(patient: User) -> None:
    """Everything of the journal about or by this person (the account's deletion would cascade
    to it too; erasing it first keeps the rule in one readable place)."""
    JournalFlag.objects.filter(Q(patient=patient) | Q(clinician=patient)).delete()
    JournalShare.objects.filter(Q(patient=patient) | Q(clinician=patient)).delete()
    JournalEntry.objects.filter(patient=patient).delete()
    ScoreSet.objects.filter(patient=patient).delete()
