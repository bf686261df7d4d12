"""Bench data for the journal: two years of monthly scores, a few entries, a share
and an open flag for every patient linked to the bench clinician. `make bench` calls it once;
it does nothing when the bench database already holds it."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from patients import timeutils
from patients.care import linked_patients
from patients.models import FlagReason, JournalEntry, JournalFlag, JournalShare, ScoreSet, User

MONTHS = 24


def seed_journal_bench(*, clinician: User) -> None:
    patients = list(linked_patients(clinician).only("id", "time_zone"))
    if not patients or ScoreSet.objects.filter(patient=patients[0]).exists():
        return
    now = timezone.now()
    today = timeutils.local_today(clinician.zone)
    ScoreSet.objects.bulk_create(
        (
            ScoreSet(
                patient=p,
                recorded_on=today - timedelta(days=30 * m),
                itch=(m + i) % 11,
                skin_overall=m % 7,
                skin_palms=m % 12,
                skin_areas={"arms": m % 12},
            )
            for i, p in enumerate(patients)
            for m in range(MONTHS)
        ),
        batch_size=2000,
    )
    JournalEntry.objects.bulk_create(
        JournalEntry(patient=p, occurred_on=today - timedelta(days=d), site_reaction="mild")
        for p in patients
        for d in (5, 60)
    )
    JournalShare.objects.bulk_create(
        JournalShare(patient=p, clinician=clinician, shared=True, decided_at=now) for p in patients
    )
    JournalFlag.objects.bulk_create(
        JournalFlag(
            clinician=clinician,
            patient=p,
            reason=FlagReason.ITCH_UP,
            key=f"bench-{p.pk}",
            detail={"value": 8, "baseline": 2},
            about_date=today,
            raised_at=now - timedelta(minutes=i),
        )
        for i, p in enumerate(patients)
    )
