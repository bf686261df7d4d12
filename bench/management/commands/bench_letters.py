"""One travel letter's PDF through the app, next to bare WeasyPrint on the same HTML.

The app's path is the download view through the test client: the trip and letter queries, the
template, the QR code, the closed URL fetcher and WeasyPrint. The reference is WeasyPrint alone
rendering that letter's HTML, saved to a file, with its default fetcher, in the same run. Writes
the "letters" section of BENCHMARKS.md.
"""

import gc
import io
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader  # a dev dependency: make bench installs it
from weasyprint import HTML

from bench.management.commands.bench import machine, write_section
from patients import pdf, timeutils
from patients.models import CareLink, ClinicianProfile, ClinicianStatus, Trip, User
from patients.summary import document
from patients.summary.data import build_summary, default_period
from patients.summary.prepare import save_preparation
from patients.travel import letters
from patients.travel.trips import plan_trip
from patients.treatments.injections import record_injection
from patients.treatments.writes import start_treatment
from therapies.models import Drug

PATIENT = "bench-traveller@bench.example"
CLINICIAN = "bench-signer@bench.example"


def peak_bytes(render) -> int:
    """Peak Python allocations during one call (tracemalloc), after a collection."""
    gc.collect()
    tracemalloc.start()
    try:
        render()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def timed(render, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        samples.append(time.perf_counter() - start)
    return samples


class Command(BaseCommand):
    help = "Time one letter PDF through the app against bare WeasyPrint; write BENCHMARKS.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--output", default=str(settings.BASE_DIR / "BENCHMARKS.md"))

    @override_settings(ALLOWED_HOSTS=["testserver"])
    def handle(self, *args, repeat: int, output: str, **options) -> None:
        call_command("load_catalogue", stdout=self.stdout)
        trip = self._trip()
        client = Client()
        client.force_login(trip.patient)
        url = reverse("patients:letter_pdf", args=[trip.pk, "prescription"])

        def through_the_app():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response.content

        view = letters.letter_view(
            trip, "prescription", today=timeutils.local_today(trip.patient.zone), has_clinician=True
        )
        with tempfile.TemporaryDirectory() as folder:
            saved = Path(folder) / "letter.html"
            saved.write_text(letters.letter_html(view), encoding="utf-8")

            def bare():
                return HTML(filename=str(saved), base_url=pdf.BASE_URL).write_pdf(
                    pdf_variant="pdf/ua-1"
                )

            pages = len(PdfReader(io.BytesIO(through_the_app())).pages)
            bare()  # warm both: fonts, the first template load
            # Interleaved, so a slower spell of the machine weighs on both alike.
            app_samples, bare_samples = [], []
            for _ in range(repeat):
                app_samples += timed(through_the_app, 1)
                bare_samples += timed(bare, 1)
            app_peak, bare_peak = peak_bytes(through_the_app), peak_bytes(bare)
            size = len(through_the_app())
        app, ref = statistics.median(app_samples), statistics.median(bare_samples)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = [
            ("bare WeasyPrint, the letter's HTML from a file (reference)", bare_samples, bare_peak),
            ("through the app (view, queries, template, QR, fetcher)", app_samples, app_peak),
        ]
        lines = [
            "## Travel letter PDF",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}, {connection.vendor}",
            "- command: `make bench`, which runs `.venv/bin/python manage.py bench_letters` "
            f"({repeat} renders of each, interleaved, after one warm-up)",
            f"- letter: the prescription summary of an approved letter (QR code), {pages} A4 "
            f"pages, {size / 1024:.0f} KiB, PDF/UA-1 in both",
            "- ratio: the app's median divided by bare WeasyPrint's median of the same run "
            "(target ≤ 1.3); the bare renders use WeasyPrint's defaults (its own fetcher, a new "
            "font configuration each time, as a one-off script would), the app keeps one font "
            "configuration per process",
            "- peak memory: Python allocations during one render (tracemalloc); the process's "
            f"peak resident size at the end of the run was {rss:.0f} MiB",
            "",
            "| path | median ms | min ms | max ms | ratio | peak Python memory MiB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, samples, peak in rows:
            lines.append(
                f"| {name} | {statistics.median(samples) * 1000:.0f} | {min(samples) * 1000:.0f} "
                f"| {max(samples) * 1000:.0f} | {statistics.median(samples) / ref:.2f} "
                f"| {peak / 2**20:.1f} |"
            )
        lines += visit_summary_lines(repeat)  # the visit summary's PDF, same method
        write_section(output, "letters", lines)
        self.stdout.write(
            f"letter PDF: app {app * 1000:.0f} ms, bare WeasyPrint {ref * 1000:.0f} ms, "
            f"ratio {app / ref:.2f}; peak {app_peak / 2**20:.1f} vs {bare_peak / 2**20:.1f} MiB"
        )
        self.stdout.write(f"Wrote {output}")

    def _trip(self) -> Trip:
        patient, _ = User.objects.get_or_create(email=PATIENT, defaults={"display_name": "Bench"})
        clinician, _ = User.objects.get_or_create(
            email=CLINICIAN, defaults={"display_name": "Dr Bench", "role": "clinician"}
        )
        ClinicianProfile.objects.update_or_create(
            user=clinician,
            defaults={
                "specialty": "Dermatology",
                "institution": "Bench hospital",
                "registration_number": "10000000001",
                "status": ClinicianStatus.APPROVED,
            },
        )
        CareLink.objects.get_or_create(patient=patient, clinician=clinician, revoked_at=None)
        Trip.objects.filter(patient=patient).delete()
        patient.treatments.all().delete()
        today = timeutils.local_today(patient.zone)
        drug = Drug.objects.get(inn="secukinumab")
        start_treatment(
            patient=patient,
            drug=drug,
            regimen=drug.regimens.get(is_default=True),
            first_dose_on=today + timedelta(days=10),
        )
        trip = plan_trip(
            patient=patient,
            now=timezone.now(),
            destination="JP",
            destination_time_zone="Asia/Tokyo",
            departs_on=today + timedelta(days=7),
            returns_on=today + timedelta(days=60),
            traveller_name="Bench Traveller",
            date_of_birth=date(1980, 1, 1),
            passport_number="00AA00000",
        )
        letters.approve_letter(
            trip=trip, kind="prescription", clinician=clinician, now=timezone.now()
        )
        return trip


# --- The visit summary's PDF, next to bare WeasyPrint of the same HTML ---------------

SUMMARY_PATIENT = "bench-summary@bench.example"


def visit_summary_lines(repeat: int) -> list[str]:
    """A year of weekly doses (tocilizumab: 3 late, 2 missed), questions prepared; the summary
    of the default period (the last 16 weeks) through the PDF view and through bare WeasyPrint
    of the same HTML, interleaved, as for the letter above."""

    patient, _ = User.objects.get_or_create(
        email=SUMMARY_PATIENT, defaults={"display_name": "Bench Summary"}
    )
    patient.treatments.all().delete()
    today = timeutils.local_today(patient.zone)
    drug = Drug.objects.get(inn="tocilizumab")
    first = today - timedelta(weeks=52)
    treatment = start_treatment(
        patient=patient, drug=drug, regimen=drug.regimens.get(is_default=True), first_dose_on=first
    )
    late, missed = {40, 44, 48}, {42, 46}
    for number in range(1, 53):
        if number in missed:
            continue
        day = first + timedelta(weeks=number - 1, days=5 if number in late else 0)
        record_injection(
            treatment=treatment,
            dose_number=number,
            taken_at=timeutils.local_to_utc(day, datetime.min.time().replace(hour=9), patient.zone),
            site="thigh_left",
        )
    save_preparation(
        patient=patient, last_visit_on=None, condition="Rheumatoid arthritis", questions="?" * 400
    )
    client = Client()
    client.force_login(patient)
    url = reverse("patients:visit_summary_pdf")

    def through_the_app():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content

    period = default_period(preparation=None, today=today)
    summary = build_summary(patient=patient, period=period, now=timezone.now())
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "summary.html"
        saved.write_text(
            document.summary_html(summary, language="fr", made_by=patient), encoding="utf-8"
        )

        def bare():
            return HTML(filename=str(saved), base_url=pdf.BASE_URL).write_pdf(
                pdf_variant="pdf/ua-1"
            )

        content = through_the_app()
        pages, size = len(PdfReader(io.BytesIO(content)).pages), len(content)
        bare()
        app_samples, bare_samples = [], []
        for _ in range(repeat):
            app_samples += timed(through_the_app, 1)
            bare_samples += timed(bare, 1)
        app_peak, bare_peak = peak_bytes(through_the_app), peak_bytes(bare)
    ref = statistics.median(bare_samples)
    lines = [
        "",
        "### Visit summary PDF",
        "",
        f"- summary: the last 16 weeks of a weekly treatment with a year of history (52 doses "
        f"planned, 3 late, 2 missed), 400 characters of questions; {pages} A4 pages, "
        f"{size / 1024:.0f} KiB, PDF/UA-1 in both; same method and run as the letter above",
        "",
        "| path | median ms | min ms | max ms | ratio | peak Python memory MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, samples, peak in (
        ("bare WeasyPrint, the summary's HTML from a file (reference)", bare_samples, bare_peak),
        ("through the app (view, queries, template, fetcher)", app_samples, app_peak),
    ):
        lines.append(
            f"| {name} | {statistics.median(samples) * 1000:.0f} | {min(samples) * 1000:.0f} "
            f"| {max(samples) * 1000:.0f} | {statistics.median(samples) / ref:.2f} "
            f"| {peak / 2**20:.1f} |"
        )
    return lines
