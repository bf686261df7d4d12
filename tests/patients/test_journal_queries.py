"""The clinic dashboard (with its flags) and the specialist's page of a patient (with the
journal's trends) make a fixed number of queries, however many patients and scores there are:
5, then 50, then 500 linked patients, each with two years of monthly scores, a shared journal,
journal entries and open flags (issue 20)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from patients import timeutils
from patients.models import (
    FlagReason,
    JournalEntry,
    JournalFlag,
    JournalShare,
    ScoreSet,
)
from tests.support import sign_in
from tests.support.queries import analyze, assert_same_counts, link_patients, measure

pytestmark = pytest.mark.django_db

MONTHS = 24


def journals_for(patients, clinician) -> None:
    """Two years of monthly scores, a few entries, a share and two open flags per patient."""
    now = timezone.now()
    today = timeutils.local_today(clinician.zone)
    ScoreSet.objects.bulk_create(
        ScoreSet(
            patient=p,
            recorded_on=today - timedelta(days=30 * m),
            itch=(m + i) % 11,
            skin_overall=m % 7,
            skin_palms=m % 12,
            skin_areas={"arms": m % 12},
            joint_pain=bool(m % 2),
            joint_pain_score=m % 2 * 3 or None,
        )
        for i, p in enumerate(patients)
        for m in range(MONTHS)
    )
    JournalEntry.objects.bulk_create(
        JournalEntry(patient=p, occurred_on=today - timedelta(days=d), note=f"note {d}")
        for p in patients
        for d in (3, 40, 200)
    )
    JournalShare.objects.bulk_create(
        JournalShare(patient=p, clinician=clinician, shared=True, decided_at=now) for p in patients
    )
    JournalFlag.objects.bulk_create(
        JournalFlag(
            clinician=clinician,
            patient=p,
            reason=reason,
            key=f"bench-{p.pk}",
            detail={"value": 8, "baseline": 2} if reason == FlagReason.ITCH_UP else {},
            about_date=today,
            raised_at=now - timedelta(minutes=i),
        )
        for i, p in enumerate(patients)
        for reason in (FlagReason.ITCH_UP, FlagReason.DOSE_HELD)
    )


@pytest.mark.parametrize("many", [50, 500])
def test_the_clinic_dashboard_and_patient_page_do_not_grow_with_patients_and_scores(
    client, clinician, many, django_assert_num_queries
):
    few = 5
    patients = link_patients(clinician, 0, few)
    journals_for(patients, clinician)
    shown = patients[1]
    sign_in(client, clinician)
    pages = {
        "dashboard": ("/en/clinic/", None),
        "overdue": ("/en/clinic/?show=overdue", None),
        "patient": (f"/en/clinic/patients/{shown.pk}/", None),
    }
    before = measure(client, pages)

    journals_for(link_patients(clinician, few, many), clinician)
    # The patient shown gets much more: ten years of weekly scores.
    today = timeutils.local_today(clinician.zone)
    ScoreSet.objects.bulk_create(
        ScoreSet(patient=shown, recorded_on=today - timedelta(days=7 * w + 1), itch=w % 11)
        for w in range(1, 520)
        if (7 * w + 1) % 30
    )
    analyze()
    after = measure(client, pages)

    assert_same_counts(before, after, (f"with {few} patients", f"with {many}"))
    with django_assert_num_queries(before["dashboard"][0]):
        page = client.get("/en/clinic/").content.decode()
    assert "Patients who need a look" in page
    assert page.count("Mark as seen") == 50  # the newest 50 open flags
