"""Per specialist, the patient chooses whether the journal and scores are shared.

Not shared by default: no row means not asked yet, and not shared. The question is asked once
the patient has made a first entry (`unanswered_clinicians`).
"""

from __future__ import annotations

from datetime import datetime

from patients.models import CareLink, JournalShare, User


def set_sharing(*, patient: User, clinician: User, shared: bool, now: datetime) -> JournalShare:
    share, _created = JournalShare.objects.update_or_create(
        patient=patient, clinician=clinician, defaults={"shared": shared, "decided_at": now}
    )
    return share


def linked_clinicians(patient: User) -> list[User]:
    """The specialists the patient is linked to right now, with their answers (`journal_shared`:
    True, False, or None when not asked yet)."""
    links = (
        CareLink.objects.active()
        .filter(patient=patient)
        .select_related("clinician__clinician_profile")
        .order_by("created_at")
    )
    answers = dict(
        JournalShare.objects.filter(patient=patient).values_list("clinician_id", "shared")
    )
    clinicians = []
    for link in links:
        clinician = link.clinician
        clinician.journal_shared = answers.get(clinician.pk)
        clinicians.append(clinician)
    return clinicians


def unanswered_clinicians(patient: User) -> list[User]:
    return [c for c in linked_clinicians(patient) if c.journal_shared is None]


def is_shared_with(*, patient: User | int, clinician: User) -> bool:
    return JournalShare.objects.filter(
        patient_id=getattr(patient, "pk", patient), clinician=clinician, shared=True
    ).exists()


def sharing_clinician_ids(patient: User) -> list[int]:
    """The specialists who see the journal: shared, and linked right now."""
    return list(
        JournalShare.objects.filter(
            patient=patient,
            shared=True,
            clinician__patient_links__patient=patient,
            clinician__patient_links__revoked_at=None,
        )
        .values_list("clinician_id", flat=True)
        .distinct()
    )
