"""The care team and checklist pages make a fixed number of queries, however much data there is.

Each test measures every page with a little data, then adds a lot (500 linked patients each with
a treatment, injections and a checklist; dozens of items, events, links and accesses) and expects
exactly the same counts. The rows are written with bulk_create, so the whole file stays fast.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import timeutils
from patients.care import create_invitation
from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    Checklist,
    ChecklistAction,
    ChecklistEvent,
    ChecklistItem,
    ClinicianProfile,
    ClinicianStatus,
    Injection,
    InjectionSite,
    Treatment,
    User,
)
from tests.support import sign_in
from therapies.models import CompletedBy, Drug, Regimen

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
FEW, MANY = 5, 500
# Every linked patient's checklist: (key, who does it). Progress varies with the patient's index.
ITEMS = [
    ("blood_tests", CompletedBy.PATIENT),
    ("chest_xray", CompletedBy.PATIENT),
    ("medical_history", CompletedBy.CLINICIAN),
    ("vaccinations", CompletedBy.PATIENT),
]


def items_for(checklist, *, clinician, patient, start: int, count: int, now, today):
    """`count` items from position `start`: a third done by the patient, a third verified too."""
    items = []
    for n in range(start, start + count):
        key, completed_by = ITEMS[n % len(ITEMS)]
        done, verified = n % 3 != 0, n % 3 == 2
        items.append(
            ChecklistItem(
                checklist=checklist,
                position=n + 1,
                key=key,
                label_fr=f"Élément {n}",
                label_en=f"Item {n}",
                explanation_en="Why it matters.",
                source="HAS 2024",
                completed_by=completed_by,
                records_result=n % 2 == 0,
                due_on=today + timedelta(days=n),
                done_on=today if done else None,
                done_at=now if done else None,
                done_by=patient if done else None,
                done_note="at the lab" if done else "",
                verified_at=now if verified else None,
                verified_by=clinician if verified else None,
                result="normal" if verified and n % 2 == 0 else "",
            )
        )
    return ChecklistItem.objects.bulk_create(items)


def link_patients(clinician, start: int, stop: int) -> list[User]:
    """Patients `start` to `stop` (excluded), linked to `clinician`, each with a guselkumab
    treatment, three injections and a shared checklist; every third has an overdue dose, every
    fourth a fully verified checklist."""
    now = timezone.now()
    today = timeutils.local_today(clinician.zone)
    drug = Drug.objects.get(inn="guselkumab")
    regimen = Regimen.objects.get(drug=drug, is_default=True)
    secukinumab = Drug.objects.get(inn="secukinumab")
    patients = User.objects.bulk_create(
        User(
            email=f"patient{i:04d}@example.com",
            display_name=f"Patient {i:04d}",
            role="patient",
            password="!",
        )
        for i in range(start, stop)
    )
    CareLink.objects.bulk_create(CareLink(patient=p, clinician=clinician) for p in patients)
    first = today - timedelta(weeks=20)
    treatments = Treatment.objects.bulk_create(
        Treatment(
            patient=p,
            drug=drug,
            regimen=regimen,
            first_dose_on=first,
            next_dose_number=4,
            next_dose_on=today - timedelta(days=3) if i % 3 == 0 else today + timedelta(days=9),
        )
        for i, p in enumerate(patients, start)
    )
    Injection.objects.bulk_create(
        Injection(
            treatment=t,
            dose_number=number,
            taken_at=now - timedelta(weeks=20 - 4 * (number - 1)),
            taken_on=first + timedelta(weeks=4 * (number - 1)),
            site=InjectionSite.ABDOMEN_LEFT,
            devices_used=1,
        )
        for t in treatments
        for number in (1, 2, 3)
    )
    checklists = Checklist.objects.bulk_create(
        Checklist(patient=p, drug=secukinumab, created_by=clinician, created_at=now, shared_at=now)
        for p in patients
    )
    items = []
    for i, (patient, checklist) in enumerate(zip(patients, checklists, strict=True), start):
        for n, (key, completed_by) in enumerate(ITEMS):
            verified = i % 4 == 1 or n == 0
            items.append(
                ChecklistItem(
                    checklist=checklist,
                    position=n + 1,
                    key=key,
                    label_fr=key,
                    label_en=key,
                    completed_by=completed_by,
                    done_on=today if verified else None,
                    done_at=now if verified else None,
                    done_by=patient if verified else None,
                    verified_at=now if verified else None,
                    verified_by=clinician if verified else None,
                )
            )
    ChecklistItem.objects.bulk_create(items)
    return patients


def events_for(checklist, actor, count: int, now) -> None:
    ChecklistEvent.objects.bulk_create(
        ChecklistEvent(
            checklist=checklist,
            item_label=f"Item {n}",
            actor=actor,
            actor_name=str(actor),
            action=ChecklistAction.DONE,
            at=now - timedelta(minutes=n),
        )
        for n in range(count)
    )


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would have them in production;
    without them PostgreSQL guesses a hundred rows and scans whole tables, which only makes the
    test slow (the counts are the same)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def count_queries(client, url: str, headers=None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(context.captured_queries), [q["sql"] for q in context.captured_queries]


def measure(client, pages: dict) -> dict[str, tuple[int, list[str]]]:
    for url, headers in pages.values():  # once first: caches (content types, …) warm up
        client.get(url, headers=headers)
    return {name: count_queries(client, url, headers) for name, (url, headers) in pages.items()}


def assert_same_counts(before: dict, after: dict, what: str) -> None:
    differ = {
        name: (before[name][0], after[name][0])
        for name in before
        if before[name][0] != after[name][0]
    }
    details = "\n\n".join(
        f"{name}: {before[name][0]} queries {what[0]}, {after[name][0]} {what[1]}; now:\n"
        + "\n".join(after[name][1])
        for name in differ
    )
    assert not differ, f"query counts changed ({what[0]} → {what[1]}): {differ}\n{details}"


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
