"""In-process page timings next to a hello-world view measured in the same run.

Writes the page section of BENCHMARKS.md (`manage.py bench_reminders` writes the reminder
sections; each keeps the others). Timings are never asserted in tests; this is where they are read.
"""

import os
import platform
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from patients import timeutils
from patients.checklists import create_checklist, share_checklist
from patients.models import (
    CareLink,
    Checklist,
    ClinicianProfile,
    ClinicianStatus,
    Injection,
    InjectionSite,
    Treatment,
    Trip,
    User,
)
from patients.travel import plan_trip
from patients.treatments import planned_dose, record_delivery, start_treatment
from therapies.models import Drug

BENCH_EMAIL = "bench-patient@bench.example"
BENCH_CLINICIAN = "bench-clinician@bench.example"
YEARS_OF_HISTORY = 5
LINKED_PATIENTS = 500

# BENCHMARKS.md is made of sections, each rewritten by the command that measures it.
SECTIONS = ("pages", "letters", "reminder-scan", "reminder-send")
HEADER = [
    "# Benchmarks",
    "",
    "Written by `make bench`. Every figure sits next to a reference measured in the same run",
    "and is read as a ratio to it; timings are never asserted in tests. Each section names the",
    "command that produced it.",
    "",
]
MARKER = re.compile(r"^<!-- section: ([a-z-]+) -->$", re.MULTILINE)


def machine() -> str:
    """Architecture, CPU model, cores and Python: enough to compare two files."""
    model = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.machine()}, {model}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )


def write_section(output: str, key: str, lines: list[str]) -> None:
    """Rewrite one section of `output`, keeping the others as they are."""
    assert key in SECTIONS, key
    try:
        with open(output, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    parts = MARKER.split(text)
    # parts = [before the first marker, key, body, key, body, ...]
    sections = {name: body.strip("\n") for name, body in zip(parts[1::2], parts[2::2], strict=True)}
    if not sections and text.strip():
        # A file from before the sections: its content is the page table.
        sections["pages"] = text.replace("# Benchmarks", "## Pages", 1).strip("\n")
    sections[key] = "\n".join(lines).strip("\n")
    out = list(HEADER)
    for name in SECTIONS:
        if name in sections:
            out += [f"<!-- section: {name} -->", sections[name], ""]
    with open(output, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out))


class Command(BaseCommand):
    help = "Measure page medians against a hello-world reference and write BENCHMARKS.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument("--output", default=str(settings.BASE_DIR / "BENCHMARKS.md"))

    def handle(self, *args, repeat: int, output: str, **options) -> None:
        call_command("load_catalogue", stdout=self.stdout)
        patient, treatment = self._patient_with_history()
        clinician, checklist = self._clinician_with_patients(patient)
        trip = self._trip(patient)
        client = Client()
        client.force_login(patient)
        clinician_client = Client()
        clinician_client.force_login(clinician)
        pages = [
            ("hello world (reference)", "/bench/hello"),
            ("home (a signed-in patient is redirected)", "/"),
            ("therapy list", "/therapies/"),
            ("therapy page", "/therapies/ixekizumab/"),
            ("patient dashboard (5 years of weekly doses)", "/dashboard/"),
            ("injection form", f"/treatments/{treatment.pk}/injections/new/"),
            ("injection history (page 1 of 50)", f"/treatments/{treatment.pk}/history/"),
            ("checklist (patient)", f"/checklists/{checklist.pk}/"),
            ("trip plan (5 years of history)", f"/trips/{trip.pk}/"),
            ("travel letter preview (HTML)", f"/trips/{trip.pk}/letters/prescription/"),
        ]
        clinician_pages = [
            (f"clinician dashboard ({LINKED_PATIENTS} patients, page 1 of 50)", "/clinic/"),
            ("clinician dashboard, search", "/clinic/?q=bench+4&show=overdue"),
            ("clinician's patient page (5 years of history)", f"/clinic/patients/{patient.pk}/"),
            ("clinician's checklist page", f"/clinic/checklists/{checklist.pk}/"),
        ]
        rows = []
        with override_settings(ROOT_URLCONF="config.bench_urls", ALLOWED_HOSTS=["testserver"]):
            for name, url in pages:
                rows.append((name, url, *self._measure(client, url, repeat)))
            for name, url in clinician_pages:
                rows.append((name, url, *self._measure(clinician_client, url, repeat)))
        reference = rows[0][2]
        self._write(output, rows, reference, repeat)
        for name, _url, median, _low, _high, queries in rows:
            self.stdout.write(
                f"{name:48} median {median * 1000:7.2f} ms  ×{median / reference:6.1f}  "
                f"queries {queries}"
            )
        self.stdout.write(f"Wrote {output}")

    def _measure(self, client: Client, url: str, repeat: int):
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples), min(samples), max(samples), len(queries)

    def _patient_with_history(self) -> tuple[User, Treatment]:
        patient, _ = User.objects.get_or_create(
            email=BENCH_EMAIL, defaults={"display_name": "Bench"}
        )
        treatment = Treatment.objects.active().filter(patient=patient).first()
        if treatment is not None:
            return patient, treatment
        drug = Drug.objects.get(inn="tocilizumab")  # weekly: the longest history per year
        today = timeutils.local_today(patient.zone)
        treatment = start_treatment(
            patient=patient,
            drug=drug,
            regimen=drug.regimens.get(is_default=True),
            first_dose_on=today - timedelta(weeks=52 * YEARS_OF_HISTORY),
        )
        record_delivery(treatment=treatment, received_on=treatment.first_dose_on, devices=100)
        injections, number = [], 1
        while (dose := planned_dose(treatment, number)).date < today:
            taken_at = timeutils.local_to_utc(
                dose.date, datetime.min.time().replace(hour=9), patient.zone
            )
            injections.append(
                Injection(
                    treatment=treatment,
                    dose_number=number,
                    taken_at=taken_at,
                    taken_on=dose.date,
                    site=list(InjectionSite)[number % 6],
                    devices_used=1,
                )
            )
            number += 1
        Injection.objects.bulk_create(injections)
        return patient, treatment

    def _clinician_with_patients(self, patient: User) -> tuple[User, Checklist]:
        """An approved clinician linked to the bench patient and 499 others, each with a
        treatment and a few injections, and a shared checklist for the bench patient."""
        clinician, created = User.objects.get_or_create(
            email=BENCH_CLINICIAN, defaults={"display_name": "Dr Bench", "role": "clinician"}
        )
        if not created:
            return clinician, Checklist.objects.filter(patient=patient).first()
        ClinicianProfile.objects.create(
            user=clinician,
            specialty="Dermatology",
            institution="Bench",
            registration_number="10000000000",
            status=ClinicianStatus.APPROVED,
        )
        others = User.objects.bulk_create(
            User(email=f"bench-{n}@bench.example", display_name=f"Bench {n:03d}")
            for n in range(1, LINKED_PATIENTS)
        )
        drug = Drug.objects.get(inn="guselkumab")
        regimen = drug.regimens.get(is_default=True)
        today = timeutils.local_today(patient.zone)
        treatments = Treatment.objects.bulk_create(
            Treatment(
                patient=other,
                drug=drug,
                regimen=regimen,
                first_dose_on=today - timedelta(weeks=20),
                next_dose_number=4,
                next_dose_on=today + timedelta(days=n % 40 - 10),
            )
            for n, other in enumerate(others)
        )
        Injection.objects.bulk_create(
            Injection(
                treatment=t,
                dose_number=number,
                taken_at=timezone.now() - timedelta(weeks=20 - 4 * number),
                taken_on=today - timedelta(weeks=20 - 4 * number),
                site=InjectionSite.THIGH_LEFT,
                devices_used=1,
            )
            for t in treatments
            for number in (1, 2, 3)
        )
        CareLink.objects.bulk_create(
            CareLink(patient=p, clinician=clinician) for p in [patient, *others]
        )
        now = timezone.now()
        checklist = create_checklist(
            patient=patient, drug=Drug.objects.get(inn="tocilizumab"), clinician=clinician, now=now
        )
        share_checklist(checklist=checklist, actor=clinician, now=now)
        return clinician, checklist

    def _trip(self, patient: User) -> Trip:
        Trip.objects.filter(patient=patient).delete()
        today = timeutils.local_today(patient.zone)
        return plan_trip(
            patient=patient,
            now=timezone.now(),
            destination="JP",
            destination_time_zone="Asia/Tokyo",
            departs_on=today + timedelta(days=3),
            returns_on=today + timedelta(days=45),
            traveller_name="Bench Traveller",
        )

    def _write(self, output: str, rows, reference: float, repeat: int) -> None:
        lines = [
            "## Pages (in-process, SQLite)",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}, {connection.vendor}",
            "- command: `make bench`, which runs "
            "`DATABASE_URL=sqlite:///$PWD/var/bench.sqlite3 .venv/bin/python manage.py bench` "
            f"({repeat} requests per page, Django test client, in-process)",
            "- ratio: the page's median divided by the hello-world median of the same run",
            "",
            "| page | median ms | min ms | max ms | ratio to hello world | queries |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, _url, median, low, high, queries in rows:
            lines.append(
                f"| {name} | {median * 1000:.2f} | {low * 1000:.2f} | {high * 1000:.2f} | "
                f"{median / reference:.1f} | {queries} |"
            )
        write_section(output, "pages", lines)
