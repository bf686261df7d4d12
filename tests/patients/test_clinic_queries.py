"""The care team and checklist pages make a fixed number of queries, however much data there is.

Each test measures every page with a little data, then adds a lot (500 linked patients each with
a treatment, injections and a checklist; dozens of items, events, links and accesses) and expects
exactly the same counts. The rows are written with bulk_create, so the whole file stays fast.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from patients import timeutils
from patients.care import create_invitation
from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    Checklist,
    ClinicianProfile,
    ClinicianStatus,
    Treatment,
    User,
)
from tests.support import sign_in
from tests.support.queries import (
    HTMX,
    analyze,
    assert_same_counts,
    events_for,
    items_for,
    link_patients,
    measure,
)
from therapies.models import Drug, Regimen

pytestmark = pytest.mark.django_db

FEW, MANY = 5, 500


def test_the_clinician_pages_make_as_many_queries_for_500_patients_as_for_5(
    client, clinician, django_assert_num_queries
):
    now = timezone.now()
    today = timeutils.local_today(clinician.zone)
    patients = link_patients(clinician, 0, FEW)
    shown = patients[1]  # a patient with an overdue dose and an open checklist
    checklist = Checklist.objects.get(patient=shown)
    events_for(checklist, clinician, 3, now)
    sign_in(client, clinician)
    pages = {
        "dashboard": ("/en/clinic/", None),
        "overdue": ("/en/clinic/?show=overdue", None),
        "incomplete": ("/en/clinic/?show=incomplete", None),
        "search": ("/en/clinic/?q=patient+000", None),
        "htmx search": ("/en/clinic/?q=patient&show=incomplete", HTMX),
        "htmx page 1": ("/en/clinic/?page=1", HTMX),
        "patient": (f"/en/clinic/patients/{shown.pk}/", None),
        "checklist": (f"/en/clinic/checklists/{checklist.pk}/", None),
        "print": (f"/en/clinic/checklists/{checklist.pk}/print/", None),
    }
    few = measure(client, pages)

    link_patients(clinician, FEW, MANY)
    # The patient shown gets more of everything: a second treatment, more injections, more
    # checklists, more items and more history.
    Treatment.objects.bulk_create(
        [
            Treatment(
                patient=shown,
                drug=Drug.objects.get(inn="ixekizumab"),
                regimen=Regimen.objects.get(drug__inn="ixekizumab", is_default=True),
                first_dose_on=today - timedelta(weeks=2),
            )
        ]
    )
    items_for(
        checklist, clinician=clinician, patient=shown, start=10, count=40, now=now, today=today
    )
    events_for(checklist, clinician, 150, now)
    for _ in range(3):
        extra = Checklist.objects.create(
            patient=shown, drug=checklist.drug, created_by=clinician, created_at=now
        )
        items_for(extra, clinician=clinician, patient=shown, start=0, count=6, now=now, today=today)
    assert CareLink.objects.filter(clinician=clinician).count() == MANY
    analyze()
    many = measure(client, pages)

    assert_same_counts(few, many, (f"with {FEW} patients", f"with {MANY}"))
    with django_assert_num_queries(few["dashboard"][0]):
        response = client.get("/en/clinic/")
    assert "500 patients" in response.content.decode()


def test_the_patient_pages_make_as_many_queries_with_a_long_history(
    client, patient, clinician, checklist
):
    now = timezone.now()
    today = timeutils.local_today(patient.zone)
    AccessEvent.objects.create(
        patient=patient, actor=clinician, actor_name="Dr House", action="viewed_record", at=now
    )
    create_invitation(by=patient, now=now)
    client.force_login(patient)
    pages = {
        "care team": ("/en/care/", None),
        "access log": ("/en/care/access/", None),
        "access log page 2": ("/en/care/access/?page=2", None),
        "checklists": ("/en/checklists/", None),
        "checklist": (f"/en/checklists/{checklist.pk}/", None),
        "checklist htmx": (f"/en/checklists/{checklist.pk}/", HTMX),
        "print": (f"/en/checklists/{checklist.pk}/print/", None),
    }
    # Page 2 of a one-page log is page 1 again (get_page): the same queries as page 2 later.
    few = measure(client, pages)

    clinicians = User.objects.bulk_create(
        User(email=f"dr{n}@example.com", display_name=f"Dr {n}", role="clinician", password="!")
        for n in range(12)
    )
    ClinicianProfile.objects.bulk_create(
        ClinicianProfile(
            user=c,
            specialty="Dermatology",
            institution="Hôpital",
            registration_number="10001234567",
            status=ClinicianStatus.APPROVED,
        )
        for c in clinicians
    )
    CareLink.objects.bulk_create(CareLink(patient=patient, clinician=c) for c in clinicians)
    for _ in range(5):
        create_invitation(by=patient, now=now)
    AccessEvent.objects.bulk_create(
        AccessEvent(
            patient=patient,
            actor=clinicians[n % len(clinicians)],
            actor_name=f"Dr {n % len(clinicians)}",
            action=AccessAction.VIEWED_CHECKLIST,
            at=now - timedelta(minutes=n),
        )
        for n in range(180)
    )
    items_for(
        checklist, clinician=clinician, patient=patient, start=20, count=40, now=now, today=today
    )
    events_for(checklist, clinician, 100, now)
    for n in range(6):
        extra = Checklist.objects.create(
            patient=patient,
            drug=checklist.drug,
            created_by=clinicians[n],
            created_at=now,
            shared_at=now,
        )
        items_for(
            extra, clinician=clinicians[n], patient=patient, start=0, count=8, now=now, today=today
        )
    many = measure(client, pages)

    assert_same_counts(few, many, ("with a short history", "with a long one"))
