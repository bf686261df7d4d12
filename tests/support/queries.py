"""Query counts under load: many linked patients written with bulk_create, fresh planner
statistics, and every page measured before and after (tests/patients/test_clinic_queries.py and
test_journal_queries.py)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import timeutils
from patients.models import (
    CareLink,
    Checklist,
    ChecklistAction,
    ChecklistEvent,
    ChecklistItem,
    Injection,
    InjectionSite,
    Treatment,
    User,
)
from therapies.models import CompletedBy, Drug, Regimen

HTMX = {"HX-Request": "true"}
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
