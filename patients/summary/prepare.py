"""The patient's writes around a visit: the preparation and sharing a period."""

from __future__ import annotations

from datetime import date, datetime

from patients.models import User, VisitPreparation
from patients.summary.data import Period


def save_preparation(
    *, patient: User, last_visit_on: date | None, condition: str, questions: str
) -> VisitPreparation:
    preparation, _created = VisitPreparation.objects.update_or_create(
        patient=patient,
        defaults={
            "last_visit_on": last_visit_on,
            "condition": condition.strip(),
            "questions": questions.strip(),
        },
    )
    return preparation


def share_summary(*, patient: User, period: Period, now: datetime) -> VisitPreparation:
    """The patient points their care team to this period (the clinic page links to it)."""
    preparation, _created = VisitPreparation.objects.update_or_create(
        patient=patient,
        defaults={"shared_at": now, "shared_start": period.start, "shared_end": period.end},
    )
    return preparation
