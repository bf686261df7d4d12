"""In-process page timings next to a hello-world view measured in the same run.

Writes the page section of BENCHMARKS.md (`manage.py bench_http`, `bench_letters` and
`bench_reminders` write theirs; each keeps the others). Timings are never asserted in tests;
this is where they are read.

Each page's requests alternate with hello-world requests, and its ratio is its median over the
median of the hello-world requests made between its own: the machine is shared, and a load that
comes and goes then slows both sides of the ratio alike.
"""

import os
import platform
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.journal import seed_journal_bench
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
from patients.travel.trips import plan_trip
from patients.treatments.reads import planned_dose
from patients.treatments.writes import record_delivery, start_treatment
from therapies.models import Drug

BENCH_EMAIL = "bench-patient@bench.example"
BENCH_CLINICIAN = "bench-clinician@bench.example"
# The same pages for little data, so the query counts can be compared ("does not grow").
SMALL_EMAIL = "bench-new-patient@bench.example"
SMALL_CLINICIAN = "bench-small-clinician@bench.example"
YEARS_OF_HISTORY = 5
LINKED_PATIENTS = 500
SMALL_CLINIC = 5
ARTICLE = "living-with-treatment"
SIGNED_IN_HELLO = "hello world, signed in (the session and the user)"
# Targets of issue #8: the page's median at most this many times hello world's.
TARGETS = {
    "article (signed out, cached)": 3,
    "patient dashboard (5 years of weekly doses)": 15,
    f"clinician dashboard ({LINKED_PATIENTS} patients, page 1 of 50)": 20,
}

# BENCHMARKS.md is made of sections, each rewritten by the command that measures it.
SECTIONS = (
    "pages",
    "changes",
    "http",
    "memory",
    "lighthouse",
    "letters",
    "reminder-scan",
    "reminder-send",
)
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


def signed_in_with_second_factor(client: Client, user: User) -> None:
    """A specialist's session as after both log-in steps (a confirmed authenticator app, the
    session marked verified the way django_otp.login does); without it every clinician page
    would be a redirect to the code step."""

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Bench", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class Command(BaseCommand):
    help = "Measure page medians against a hello-world reference and write BENCHMARKS.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repeat", type=int, default=200)
        parser.add_argument("--output", default=str(settings.BASE_DIR / "BENCHMARKS.md"))

    def handle(self, *args, repeat: int, output: str, **options) -> None:
        call_command("load_catalogue", stdout=self.stdout)
        call_command("load_content", stdout=self.stdout)  # all the articles
        patient, treatment = self._patient_with_history()
        clinician, checklist = self._clinician_with_patients(patient)
        seed_journal_bench(clinician=clinician)
        trip = self._trip(patient)
        small, small_treatment = self._patient_with_history(
            email=SMALL_EMAIL, first_dose_ago=timedelta(weeks=4)
        )
        small_clinician = self._small_clinician()
        client = Client()
        client.force_login(patient)
        small_client = Client()
        small_client.force_login(small)
        clinician_client = Client()
        signed_in_with_second_factor(clinician_client, clinician)
        small_clinician_client = Client()
        signed_in_with_second_factor(small_clinician_client, small_clinician)
        anonymous = Client()
        article = f"/en/articles/{ARTICLE}/"
        # (name, client, url, before each request)
        pages = [
            # The reference is the bare view signed out (the hello world); what every
            # signed-in page pays first (the session, the user) shows in this row:
            (SIGNED_IN_HELLO, client, "/bench/hello", None),
            ("home (signed out)", anonymous, "/", None),
            ("home (a signed-in patient is redirected)", client, "/", None),
            ("article (signed out, cached)", anonymous, article, None),
            ("article (signed out, not cached)", anonymous, article, cache.clear),
            ("article (signed-in patient, cached)", client, article, None),
            ("article list", anonymous, "/en/articles/", None),
            ("search", anonymous, "/en/search/?q=interleukin", None),
            ("glossary", anonymous, "/en/glossary/", None),
            ("therapy list", client, "/therapies/", None),
            ("therapy page", client, "/therapies/ixekizumab/", None),
            ("patient dashboard (5 years of weekly doses)", client, "/dashboard/", None),
            ("patient dashboard (1 month of weekly doses)", small_client, "/dashboard/", None),
            ("injection form", client, f"/treatments/{treatment.pk}/injections/new/", None),
            (
                "injection history (page 1 of 50)",
                client,
                f"/treatments/{treatment.pk}/history/",
                None,
            ),
            (
                "injection history (1 month, one page)",
                small_client,
                f"/treatments/{small_treatment.pk}/history/",
                None,
            ),
            ("checklist (patient)", client, f"/checklists/{checklist.pk}/", None),
            ("trip plan (5 years of history)", client, f"/trips/{trip.pk}/", None),
            (
                "travel letter preview (HTML)",
                client,
                f"/trips/{trip.pk}/letters/prescription/",
                None,
            ),
            (
                f"clinician dashboard ({LINKED_PATIENTS} patients, page 1 of 50)",
                clinician_client,
                "/clinic/",
                None,
            ),
            (  # the same page, read for its journal flags (all 500 share and flag)
                f"clinician dashboard with journal flags ({LINKED_PATIENTS} patients, "
                "2 years of monthly scores each)",
                clinician_client,
                "/clinic/",  # the row above, measured again under the journal's name
                None,
            ),
            (
                f"clinician dashboard ({SMALL_CLINIC} patients)",
                small_clinician_client,
                "/clinic/",
                None,
            ),
            (
                "clinician dashboard, search",
                clinician_client,
                "/clinic/?q=bench+4&show=overdue",
                None,
            ),
            (
                "clinician's patient page (5 years of history)",
                clinician_client,
                f"/clinic/patients/{patient.pk}/",
                None,
            ),
            (
                "clinician's checklist page",
                clinician_client,
                f"/clinic/checklists/{checklist.pk}/",
                None,
            ),
        ]
        rows = []
        # DEBUG off, as in production (no query log, the error pages of production).
        with override_settings(
            ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["testserver"], DEBUG=False
        ):
            hello_queries = self._queries(anonymous, "/bench/hello")
            alone = self._alone(anonymous, repeat)
            all_hello = []
            for name, page_client, url, before in pages:
                page, hello = self._measure(page_client, url, anonymous, repeat, before)
                all_hello += hello
                rows.append((name, page, hello, self._queries(page_client, url, before)))
        reference = statistics.median(all_hello)
        self._write(output, rows, all_hello, alone, hello_queries, repeat)
        self.stdout.write(f"{'hello world (reference)':52} median {reference * 1000:7.2f} ms")
        for name, page, hello, queries in rows:
            ratio = statistics.median(page) / statistics.median(hello)
            self.stdout.write(
                f"{name:52} median {statistics.median(page) * 1000:7.2f} ms  ×{ratio:6.1f}  "
                f"queries {queries}"
            )
        self.stdout.write(f"Wrote {output}")

    def _queries(self, client: Client, url: str, before=None) -> int:
        if before:
            before()
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        return len(queries)

    def _alone(self, client: Client, repeat: int) -> list[float]:
        """Hello world on its own, `repeat` times in a row: no page's garbage to collect and
        caches warm, so faster than between two pages. The stricter reference."""
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get("/bench/hello")
            samples.append(time.perf_counter() - start)
        return samples

    def _measure(self, client: Client, url: str, reference: Client, repeat: int, before=None):
        """`repeat` timed requests of the page, each after a hello-world request (timed too)."""
        response = client.get(url)
        # Only the signed-in home is a redirect (to the dashboard); any other 302 would time
        # a redirect instead of the page.
        expected = 302 if url == "/" and SESSION_KEY in client.session else 200
        assert response.status_code == expected, (url, response.status_code)
        samples, hello = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            reference.get("/bench/hello")
            hello.append(time.perf_counter() - start)
            if before:
                before()
            start = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - start)
        return samples, hello

    def _patient_with_history(
        self, email: str = BENCH_EMAIL, first_dose_ago: timedelta | None = None
    ) -> tuple[User, Treatment]:
        patient, _ = User.objects.get_or_create(email=email, defaults={"display_name": "Bench"})
        treatment = Treatment.objects.active().filter(patient=patient).first()
        if treatment is not None:
            return patient, treatment
        drug = Drug.objects.get(inn="tocilizumab")  # weekly: the longest history per year
        today = timeutils.local_today(patient.zone)
        treatment = start_treatment(
            patient=patient,
            drug=drug,
            regimen=drug.regimens.get(is_default=True),
            first_dose_on=today - (first_dose_ago or timedelta(weeks=52 * YEARS_OF_HISTORY)),
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

    def _small_clinician(self) -> User:
        """An approved clinician linked to the first SMALL_CLINIC bench patients."""
        clinician, created = User.objects.get_or_create(
            email=SMALL_CLINICIAN, defaults={"display_name": "Dr Small", "role": "clinician"}
        )
        if created:
            ClinicianProfile.objects.create(
                user=clinician,
                specialty="Dermatology",
                institution="Bench",
                registration_number="10000000001",
                status=ClinicianStatus.APPROVED,
            )
            patients = User.objects.filter(email__startswith="bench-", role="patient").exclude(
                email__in=[BENCH_EMAIL, SMALL_EMAIL]
            )
            CareLink.objects.bulk_create(
                CareLink(patient=p, clinician=clinician)
                for p in patients.order_by("pk")[:SMALL_CLINIC]
            )
        return clinician

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

    def _write(self, output: str, rows, all_hello, alone, hello_queries: int, repeat: int) -> None:
        reference = statistics.median(all_hello)
        strict = statistics.median(alone)
        lines = [
            "## Pages (in-process, SQLite)",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}, {connection.vendor}; load average before the run "
            f"{os.getloadavg()[0]:.1f} (other processes share the 2 cores: read the ratios)",
            "- command: `make bench`, which runs "
            "`DATABASE_URL=sqlite:///$PWD/var/bench.sqlite3 .venv/bin/python manage.py bench` "
            f"({repeat} requests per page, Django test client, in-process, DEBUG off, the "
            "local-memory cache)",
            "- data: a patient with 5 years of weekly injections (and one with 1 month), a "
            f"clinician with {LINKED_PATIENTS} linked patients (and one with {SMALL_CLINIC}), "
            "every article and glossary term loaded (`load_content`)",
            "- ratio: the page's median divided by the median of the hello-world requests "
            f"interleaved with it (one before each of its requests); hello world overall: median "
            f"{reference * 1000:.2f} ms, min {min(all_hello) * 1000:.2f} ms, "
            f"{hello_queries} queries (signed out: the bare view of the issue's reference; the "
            "same view signed in, which costs the session and the user as every signed-in page "
            "does, is a row of its own, and the targets are also given against it)",
            f"- ratio to hello world alone: the page's median divided by the median of {repeat} "
            f"hello-world requests in a row before the pages ({strict * 1000:.2f} ms): the "
            "stricter reference, since between two pages hello world pays for their garbage "
            "collection and cold caches; the targets are judged against it",
            "- 'not cached': the cache is emptied before each request (outside the timing)",
            "",
            "| page | median ms | min ms | max ms | ratio to hello world (interleaved) "
            "| ratio to hello world alone | queries |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| hello world alone (reference) | {strict * 1000:.2f} | {min(alone) * 1000:.2f} | "
            f"{max(alone) * 1000:.2f} | | 1.0 | {hello_queries} |",
            f"| hello world, interleaved (reference) | {reference * 1000:.2f} | "
            f"{min(all_hello) * 1000:.2f} | {max(all_hello) * 1000:.2f} | 1.0 | "
            f"{reference / strict:.1f} | {hello_queries} |",
        ]
        for name, page, hello, queries in rows:
            median = statistics.median(page)
            lines.append(
                f"| {name} | {median * 1000:.2f} | {min(page) * 1000:.2f} | "
                f"{max(page) * 1000:.2f} | {median / statistics.median(hello):.1f} | "
                f"{median / strict:.1f} | {queries} |"
            )
        # The signed-in hello world's own ratio to the bare one (both interleaved the same way):
        # a page's ratio divided by it is its ratio to the signed-in hello world.
        signed_in = next(
            statistics.median(page) / statistics.median(hello)
            for name, page, hello, _queries in rows
            if name == SIGNED_IN_HELLO
        )
        lines += ["", "Targets (issue #8), against the bare hello world alone:", ""]
        for name, page, hello, _queries in rows:
            if name in TARGETS:
                ratio = statistics.median(page) / strict
                interleaved = statistics.median(page) / statistics.median(hello)
                verdict = "met" if ratio <= TARGETS[name] else "NOT met"
                lines.append(
                    f"- {name}: ≤ {TARGETS[name]}× hello world: {verdict} ({ratio:.1f}×; "
                    f"{interleaved:.1f}× the interleaved hello world, "
                    f"{interleaved / signed_in:.1f}× the signed-in one)"
                )
        write_section(output, "pages", lines)
