"""Reminder benchmarks on their own PostgreSQL database and a real Celery worker.

1. The scan: `queue_due_reminders` over 1,000,000 active treatments with 1 % (then 0.1 %, then
   none) due, next to the plain indexed select of the same due rows, with the plans of its select
   and of its UPDATE, and where its time goes.
2. Send throughput: reminders per second through Redis and a worker (locmem e-mail backend), next
   to no-op tasks of the same shape through the same worker.

Rewrites the two reminder sections of BENCHMARKS.md (`manage.py bench` writes the page table).
DATABASE_URL must name a PostgreSQL database whose name contains "bench": it is created if
missing, filled once with set-based SQL and reused while it holds the same number of treatments
(`--refill` fills it again). A figure that cannot be measured here (no PostgreSQL, no Redis) is
written down as skipped, with the reason, and the command still succeeds.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.test import override_settings
from django.utils import timezone
from psycopg import sql

from bench import celery_workers
from bench.celery_workers import CeleryProcess
from bench.fill import column, insert_select, table
from bench.management.commands.bench import machine, write_section
from bench.push_service import CountingPushService, Phone
from bench.tasks import DONE_KEY, noop
from config.celery import app
from patients.models import (
    Channel,
    Kind,
    PushSubscription,
    Reminder,
    ReminderSettings,
    Role,
    State,
    Treatment,
    User,
)
from patients.models.reminders import DEFAULT_HOUR, DEFAULT_LEAD_DAYS
from patients.reminders.channels.push import new_vapid_keys
from patients.reminders.delivery import SEND_BATCH, deliver_reminder, dispatch_reminders
from patients.reminders.scan import SCAN_BATCH, queue_due_reminders
from therapies import dosing
from therapies.models import Regimen

BENCH_QUEUE = "interleukin-bench"
DUE_EVERY = 100  # treatment ids that are a multiple of this are due: 1 %
FEW_EVERY = 10  # one due treatment in ten stays due for the 0.1 % figure
HISTORY_DAYS = 3 * 365  # first injections spread over the last three years
# Home zones, one entry per 5 % of patients; the hours below fall before 16:00 UTC in all of them.
ZONES = ["Europe/Paris"] * 14 + [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Brussels",
    "Europe/Madrid",
    "America/Guadeloupe",
    "Indian/Reunion",
]
# Patients whose id % 7 is 0 or 3 (2 in 7) have their own settings, one of these.
OWN_SETTINGS = [([2, 0], 7), ([1, 0], 8), ([0], 10), ([3, 1, 0], 9)]
POLL = 0.02  # seconds between two looks at the send progress
WORKER_READY_TIMEOUT = 60
RUN_TIMEOUT = 300


class Skip(Exception):
    """A figure that cannot be measured here; the message says why."""


def median_min_max(samples: list[float]) -> tuple[float, float, float]:
    return statistics.median(samples), min(samples), max(samples)


def ratio(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class Command(BaseCommand):
    help = "Measure the reminder scan and the send throughput; rewrite their part of BENCHMARKS.md."
    requires_system_checks: list = []  # the database may not exist yet

    def add_arguments(self, parser) -> None:
        parser.add_argument("--treatments", type=int, default=1_000_000)
        parser.add_argument("--refill", action="store_true", help="fill the database again")
        parser.add_argument("--scan-repeat", type=int, default=5)
        parser.add_argument("--send-count", type=int, default=3000)
        parser.add_argument("--send-repeat", type=int, default=3)
        parser.add_argument("--only", choices=["scan", "send"])
        parser.add_argument("--output", default=str(settings.BASE_DIR / "BENCHMARKS.md"))

    def handle(self, *args, **options) -> None:
        logging.getLogger("patients.reminders").setLevel(logging.WARNING)
        self.options = options
        self.output = options["output"]
        self.command = self._command_line()
        only = options["only"]
        started = time.perf_counter()
        try:
            self._prepare_database()
        except Skip as why:
            for key in ("reminder-scan", "reminder-send"):
                if only in (None, key.removeprefix("reminder-")):
                    self._skipped(key, str(why))
            return
        if only in (None, "scan"):
            self._write_scan(self._scan())
        if only in (None, "send"):
            try:
                self._write_send(self._send())
            except Skip as why:
                self._skipped("reminder-send", str(why))
        self.stdout.write(f"bench_reminders took {time.perf_counter() - started:.0f} s")

    # --- Where the figures come from --------------------------------------------------------------

    def _command_line(self) -> str:
        env = [
            f"DATABASE_URL={without_password(os.environ.get('DATABASE_URL', ''))}",
            f"CELERY_BROKER_URL={without_password(settings.CELERY_BROKER_URL)}",
            f"CELERY_TASK_DEFAULT_QUEUE={self._queue()}",
            f"EMAIL_BACKEND={os.environ.get('EMAIL_BACKEND', '')}",
        ]
        args = " ".join(sys.argv[2:])
        return f"{' '.join(env)} .venv/bin/python manage.py bench_reminders {args}".strip()

    def _queue(self) -> str:
        # Never the default queue, where a running `make run` worker would take the messages.
        queue = settings.REMINDERS_QUEUE
        return queue if queue != "celery" else BENCH_QUEUE

    def _header(self, title: str) -> list[str]:
        return [
            f"## {title}",
            "",
            f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"- machine: {machine()}",
            f"- command: `make bench`, which runs `{self.command}`",
        ]

    def _skipped(self, key: str, why: str) -> None:
        title = {
            "reminder-scan": "Reminder scan (PostgreSQL)",
            "reminder-send": "Reminder send throughput (Redis + a Celery worker)",
        }[key]
        write_section(self.output, key, [*self._header(title), f"- **skipped**: {why}"])
        self.stdout.write(self.style.WARNING(f"SKIPPED {title}: {why}"))

    # --- The database -----------------------------------------------------------------------------

    def _prepare_database(self) -> None:
        db = settings.DATABASES["default"]
        if connection.vendor != "postgresql":
            raise Skip(
                f"DATABASE_URL is not PostgreSQL ({connection.vendor}); "
                "set it to a bench-only database, as `make bench` does"
            )
        name = db["NAME"]
        if "bench" not in name:
            raise Skip(f"refusing to fill the database {name!r}: its name must contain 'bench'")
        where = f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}"
        params = {
            key: db[name_]
            for key, name_ in (
                ("host", "HOST"),
                ("port", "PORT"),
                ("user", "USER"),
                ("password", "PASSWORD"),
            )
            if db.get(name_)
        }
        try:
            with psycopg.connect(
                dbname="postgres", connect_timeout=3, autocommit=True, **params
            ) as admin:
                found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if found.fetchone() is None:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    self.stdout.write(f"Created the database {name}.")
        except psycopg.Error as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else error
            raise Skip(f"PostgreSQL is not reachable at {where} ({first_line})") from error
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_catalogue", stdout=self.stdout)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)"
            )
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS bench_due "
                "(id bigint PRIMARY KEY, at timestamptz NOT NULL, n integer NOT NULL)"
            )
            cursor.execute("SELECT key, value FROM bench_meta")
            self.meta = dict(cursor.fetchall())
        wanted = self.options["treatments"]
        if self.options["refill"] or not self._filled(wanted):
            self._fill(wanted)
        else:
            self.stdout.write(
                f"Reusing the {wanted:,} treatments filled on {self.meta['filled_at']} "
                "(--refill, or BENCH_REFILL=1 with make, fills again)."
            )
        self.epoch = datetime.fromisoformat(self.meta["epoch"])

    def _filled(self, wanted: int) -> bool:
        if self.meta.get("treatments") != str(wanted):
            return False
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table(Treatment)}")
            treatments = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM bench_due")
            due = cursor.fetchone()[0]
        return treatments == wanted and due == wanted // DUE_EVERY

    def _plan_rows(self, regimens: list[Regimen], today: date) -> list[tuple]:
        """For each regimen and each first-injection day of the last three years, the first dose
        planned today or later, so that every treatment's next dose agrees with its plan."""
        rows, counts = [], Counter()
        for idx, regimen in enumerate(regimens):
            spec = regimen.spec()
            for back in range(HISTORY_DAYS):
                for dose in dosing.planned_doses(spec, today - timedelta(days=back)):
                    if dose.date >= today:
                        ahead = (dose.date - today).days
                        due = ahead == 0
                        rows.append((idx, due, counts[idx, due], back, dose.number, ahead))
                        counts[idx, due] += 1
                        break
        return rows

    def _fill(self, count: int) -> None:
        """Patients, settings and treatments with INSERT … SELECT over generate_series.

        The scan runs at `epoch` (16:00 UTC the day before the fill): treatments whose id is a
        multiple of 100 have a dose that day and their 'on the day' reminder (07:00-10:00 local)
        has passed; every other treatment's next dose is on a later day, so its next reminder is
        in the future, spread over the coming weeks like the plans are.
        """
        self.stdout.write(f"Filling {count:,} patients and active treatments…")
        started = time.perf_counter()
        today = datetime.now(UTC).date() - timedelta(days=1)
        epoch = datetime.combine(today, datetime.min.time().replace(hour=16), tzinfo=UTC)
        regimens = list(Regimen.objects.order_by("pk"))
        plan_rows = self._plan_rows(regimens, today)
        params = {
            "n": count,
            "today": today,
            "epoch": epoch,
            "zones": ZONES,
            "zone_count": len(ZONES),
            "leads": [json.dumps(leads) for leads, _hour in OWN_SETTINGS],
            "hours": [hour for _leads, hour in OWN_SETTINGS],
            "default_leads": json.dumps(DEFAULT_LEAD_DAYS),
            "default_hour": DEFAULT_HOUR,
            "regimens": len(regimens),
            "due_every": DUE_EVERY,
            "notice": settings.PRIVACY_NOTICE_VERSION,
            "role": Role.PATIENT,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                f"TRUNCATE {table(User)}, {table(Treatment)}, {table(ReminderSettings)}, "
                f"{table(Reminder)}, bench_meta, bench_due CASCADE"
            )
            # Fields left out get their model default (is_active, is_staff, session_epoch…).
            cursor.execute(
                *insert_select(
                    User,
                    {
                        "id": "g",
                        "password": "'!bench'",
                        "email": "'patient-' || g || '@bench.example'",
                        "display_name": "'Patient ' || g",
                        "role": "%(role)s",
                        "time_zone": "(%(zones)s::text[])"
                        "[1 + mod(g + g / %(due_every)s, %(zone_count)s)]",
                        "language": "CASE WHEN mod(g, 3) = 0 THEN 'en' ELSE 'fr' END",
                        "health_data_consent_at": "%(epoch)s",
                        "privacy_notice_version": "%(notice)s",
                        "date_joined": "%(epoch)s",
                    },
                    "FROM generate_series(1, %(n)s) AS g",
                    params,
                )
            )
            self.stdout.write(f"  patients: {time.perf_counter() - started:.1f} s")
            cursor.execute(
                *insert_select(
                    ReminderSettings,
                    {
                        "patient": "g",
                        "lead_days": "((%(leads)s::text[])[1 + mod(g / 7, 4)])::jsonb",
                        "hour": "(%(hours)s::int[])[1 + mod(g / 7, 4)]",
                        "calendar_token": "md5('bench-' || g)",
                        "calendar_discreet": "mod(g, 2) = 0",
                    },
                    "FROM generate_series(1, %(n)s) AS g WHERE mod(g, 7) IN (0, 3)",
                    params,
                )
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_regimen "
                "(idx integer PRIMARY KEY, drug_id bigint, regimen_id bigint) ON COMMIT DROP"
            )
            cursor.executemany(
                "INSERT INTO bench_regimen VALUES (%s, %s, %s)",
                [(idx, r.drug_id, r.pk) for idx, r in enumerate(regimens)],
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_plan (idx integer, due boolean, k integer, "
                "back integer, number integer, ahead integer, PRIMARY KEY (idx, due, k)) "
                "ON COMMIT DROP"
            )
            cursor.executemany("INSERT INTO bench_plan VALUES (%s, %s, %s, %s, %s, %s)", plan_rows)
            cursor.execute(
                "CREATE TEMP TABLE bench_plan_count ON COMMIT DROP AS "
                "SELECT idx, due, count(*)::integer AS n FROM bench_plan GROUP BY idx, due"
            )
            # `local` is 'hour:00 on a day in the patient's zone', as patients.reminders computes.
            hour = (
                f"make_time(coalesce(s.{column(ReminderSettings, 'hour')}, %(default_hour)s), 0, 0)"
            )
            zone = f"u.{column(User, 'time_zone')}"
            leads = f"coalesce(s.{column(ReminderSettings, 'lead_days')}, %(default_leads)s::jsonb)"
            cursor.execute(
                *insert_select(
                    Treatment,
                    {
                        "id": "t.g",
                        "first_dose_on": "%(today)s::date - p.back",
                        "prescriber_name": "''",
                        "presentation_key": "''",  # not said: the catalogue's usual counts
                        "condition": "''",
                        "created_at": "%(epoch)s",
                        "drug": "r.drug_id",
                        "patient": "t.g",
                        "regimen": "r.regimen_id",
                        "next_dose_number": "p.number",
                        "next_dose_on": "%(today)s::date + p.ahead",
                        "next_reminder_at": "CASE WHEN t.due "
                        f"THEN (%(today)s::date + {hour}) AT TIME ZONE {zone} "
                        "ELSE (SELECT min(m.local) FROM (SELECT "
                        f"((%(today)s::date + p.ahead - l.lead::integer) + {hour}) "
                        f"AT TIME ZONE {zone} AS local "
                        f"FROM jsonb_array_elements_text({leads}) "
                        "AS l(lead)) AS m WHERE m.local > %(epoch)s) END",
                    },
                    "FROM (SELECT g, mod(g + g / %(due_every)s, %(regimens)s) AS idx, "
                    "mod(g, %(due_every)s) = 0 AS due FROM generate_series(1, %(n)s) AS g) AS t "
                    "JOIN bench_regimen r ON r.idx = t.idx "
                    "JOIN bench_plan_count c ON c.idx = t.idx AND c.due = t.due "
                    "JOIN bench_plan p ON p.idx = t.idx AND p.due = t.due "
                    "AND p.k = mod(t.g / %(regimens)s, c.n) "
                    f"JOIN {table(User)} u ON u.{column(User, 'id')} = t.g "
                    f"LEFT JOIN {table(ReminderSettings)} s "
                    f"ON s.{column(ReminderSettings, 'patient')} = t.g "
                    "ORDER BY t.g",
                    params,
                )
            )
            self.stdout.write(f"  treatments: {time.perf_counter() - started:.1f} s")
            tid, next_at = column(Treatment, "id"), column(Treatment, "next_reminder_at")
            for model in (User, Treatment):
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    [model._meta.db_table, model._meta.pk.column, count],
                )
            cursor.execute(
                "INSERT INTO bench_due (id, at, n) "
                f"SELECT {tid}, {next_at}, row_number() OVER (ORDER BY {tid}) "
                f"FROM {table(Treatment)} WHERE {next_at} <= %(epoch)s",
                params,
            )
            cursor.execute("SELECT count(*) FROM bench_due")
            due = cursor.fetchone()[0]
            if due != count // DUE_EVERY:
                raise CommandError(f"the fill left {due} treatments due, not {count // DUE_EVERY}")
            self.meta = {
                "treatments": str(count),
                "epoch": epoch.isoformat(),
                "filled_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                "fill_seconds": f"{time.perf_counter() - started:.0f}",
            }
            cursor.executemany("INSERT INTO bench_meta VALUES (%s, %s)", list(self.meta.items()))
        self._vacuum(User, ReminderSettings, Treatment)
        self.meta["fill_seconds"] = f"{time.perf_counter() - started:.0f}"
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE bench_meta SET value = %s WHERE key = 'fill_seconds'",
                [self.meta["fill_seconds"]],
            )
        self.stdout.write(f"  filled, vacuumed and analysed in {self.meta['fill_seconds']} s")

    def _vacuum(self, *models) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(table(model) for model in models)}")

    def _reset(self, keep_every: int | None = 1) -> int:
        """Empty the outbox and put the due times back as filled, keeping one due treatment in
        `keep_every` due (None: none); the others move to the same hour the next day."""
        tid, next_at = column(Treatment, "id"), column(Treatment, "next_reminder_at")
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table(Reminder)}")
            cursor.execute(
                "WITH wanted AS (SELECT id, CASE WHEN %(every)s::integer IS NOT NULL "
                "AND mod(n, %(every)s::integer) = 0 THEN at ELSE at + interval '1 day' END AS at "
                "FROM bench_due) "
                f"UPDATE {table(Treatment)} t SET {next_at} = w.at FROM wanted w "
                f"WHERE t.{tid} = w.id AND t.{next_at} IS DISTINCT FROM w.at",
                {"every": keep_every},
            )
        self._vacuum(Treatment, Reminder)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {table(Treatment)} WHERE {next_at} <= %s",
                [self.epoch],
            )
            return cursor.fetchone()[0]

    # --- 1. The scan ------------------------------------------------------------------------------

    def _scan(self) -> dict:
        total = self.options["treatments"]
        repeat = self.options["scan_repeat"]
        cases = [("1 %", 1), ("0.1 %", FEW_EVERY), ("none", None)]
        self.stdout.write(f"Scan: {total:,} treatments, {repeat} runs per case…")

        # A first run (caches, and the select it really sends), one split into its parts, the plans.
        self._reset()
        captured: dict[str, tuple[str, tuple]] = {}

        def capture(execute, sql, params, many, context):
            if sql.startswith("SELECT") and '"patients_treatment"."next_reminder_at" <=' in sql:
                captured.setdefault("select", (sql, params))
            elif sql.startswith("UPDATE patients_treatment"):
                captured.setdefault("update", (sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(capture):
            queue_due_reminders(now=self.epoch)
        self._reset()
        breakdown = self._scan_breakdown()
        self._reset()
        reference_sql = "SELECT id FROM patients_treatment WHERE next_reminder_at <= %s"
        scan_plan = self._explain(*captured["select"])
        # With the planner settings the scan sets for this statement (SET LOCAL).
        update_plan = self._explain(
            *captured["update"],
            setup=["SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off"],
        )
        reference_plan = self._explain(reference_sql, [self.epoch])

        samples: dict[str, list[float]] = {label: [] for label, _every in cases}
        samples["reference"] = []
        outcome: dict[str, tuple[int, int, int, int]] = {}
        for run in range(repeat):
            for label, every in cases:
                due = self._reset(every)
                if every == 1:
                    samples["reference"] += self._time_reference(reference_sql)
                started = time.perf_counter()
                handled = queue_due_reminders(now=self.epoch)
                samples[label].append(time.perf_counter() - started)
                outcome[label] = (due, handled, *self._scan_result())
                self.stdout.write(
                    f"  run {run + 1}, {label} due ({due:,}): {samples[label][-1] * 1000:.0f} ms"
                )
        self._reset()
        self._checkpoint()  # the send throughput that follows should not pay for these writes
        return {
            "total": total,
            "repeat": repeat,
            "cases": cases,
            "samples": samples,
            "outcome": outcome,
            "breakdown": breakdown,
            "scan_plan": scan_plan,
            "update_plan": update_plan,
            # The ids travel as one comma-joined string (see reminders._pg_array).
            "update_rows": captured["update"][1][0].count(",") + 1,
            "reference_plan": reference_plan,
            "postgres": self._postgres_version(),
        }

    def _scan_breakdown(self) -> dict[str, float]:
        """One more run (not counted), split into its statements, its commits and the rest."""
        spent: Counter[str] = Counter()

        def by_statement(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[sql.lstrip().split(None, 1)[0].upper()] += time.perf_counter() - started

        wrapper = connections[DEFAULT_DB_ALIAS]
        commit = wrapper.commit

        def timed_commit():
            started = time.perf_counter()
            try:
                return commit()
            finally:
                spent["COMMIT"] += time.perf_counter() - started

        started = time.perf_counter()
        with (
            connection.execute_wrapper(by_statement),
            patch.object(wrapper, "commit", timed_commit),
        ):
            queue_due_reminders(now=self.epoch)
        spent["total"] = time.perf_counter() - started
        spent["Python"] = spent["total"] - sum(v for k, v in spent.items() if k != "total")
        return dict(spent)

    def _scan_result(self) -> tuple[int, int]:
        """(outbox rows written, treatments still due afterwards)."""
        rows = Reminder.objects.count()
        left = Treatment.objects.filter(next_reminder_at__lte=self.epoch).count()
        return rows, left

    def _time_reference(self, sql: str, times: int = 5) -> list[float]:
        samples = []
        with connection.cursor() as cursor:
            for _ in range(times):
                started = time.perf_counter()
                cursor.execute(sql, [self.epoch])
                cursor.fetchall()
                samples.append(time.perf_counter() - started)
        return samples

    def _checkpoint(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except DatabaseError:
            pass  # needs a superuser or pg_checkpoint; without it the figures are only noisier

    def _explain(self, sql: str, params, setup: tuple[str, ...] | list[str] = ()) -> list[str]:
        """EXPLAIN (ANALYZE, BUFFERS), in a transaction rolled back (the UPDATE writes)."""
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in setup:
                cursor.execute(statement)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        return lines

    def _postgres_version(self) -> str:
        """The version and the settings these figures depend on most."""
        shown = []
        with connection.cursor() as cursor:
            for name in ("server_version", "shared_buffers", "random_page_cost"):
                cursor.execute(f"SHOW {name}")
                shown.append(cursor.fetchone()[0].split()[0])
        version, *rest = shown
        return f"{version} (shared_buffers {rest[0]}, random_page_cost {rest[1]})"

    def _write_scan(self, result: dict) -> None:
        samples, outcome, total = result["samples"], result["outcome"], result["total"]
        reference = statistics.median(samples["reference"])
        uses_index = any(
            "treatment_reminder_due" in line and "Index Scan" in line
            for line in result["scan_plan"]
        )
        lines = [
            *self._header("Reminder scan (PostgreSQL)"),
            f"- database: PostgreSQL {result['postgres']}, its own database "
            f"(`{settings.DATABASES['default']['NAME']}`), filled on {self.meta['filled_at']} in "
            f"{self.meta['fill_seconds']} s with `INSERT … SELECT … FROM generate_series` and "
            "reused while it holds the same number of treatments (`BENCH_REFILL=1 make bench` "
            "fills it again)",
            f"- data: {total:,} patients with one active treatment each (the catalogue's 16 "
            "regimens, next dose and dose number agreeing with each plan, first injections over "
            "the last three years); 7 home zones; 2 patients in 7 have their own reminder "
            f"settings (lead days and hours vary), the others the defaults; at the scan time "
            f"({self.epoch:%Y-%m-%d %H:%M} UTC) {total // DUE_EVERY:,} treatments (1 %) are due "
            "(their 'on the day' reminder, 07:00-10:00 local, has passed) and every other one's "
            "next reminder is on a later day, over the coming weeks",
            f"- each case: `queue_due_reminders(now=…)` (batches of {SCAN_BATCH:,}, its own "
            f"transactions), median of {result['repeat']} runs; between runs the outbox is "
            "emptied, the due times are put back and the table is vacuumed and analysed; for "
            "0.1 % and none, the other due treatments' reminders are moved to the next day",
            "- reference: `SELECT id FROM patients_treatment WHERE next_reminder_at <= now`, the "
            f"same {total // DUE_EVERY:,} due rows through the same index, median of "
            f"{len(samples['reference'])} runs in the same run",
            "",
            f"| due treatments (of {total:,}) | median ms | min ms | max ms | ratio to "
            "reference | treatments handled | outbox rows written | still due after |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, _every in result["cases"]:
            median, low, high = median_min_max(samples[label])
            due, handled, rows, left = outcome[label]
            lines.append(
                f"| {due:,} ({label}) | {median * 1000:.0f} | {low * 1000:.0f} | "
                f"{high * 1000:.0f} | {ratio(median / reference)} | {handled:,} | {rows:,} | "
                f"{left} |"
            )
        median, low, high = median_min_max(samples["reference"])
        lines.append(
            f"| reference: indexed select of the {total // DUE_EVERY:,} due ids | "
            f"{median * 1000:.1f} | {low * 1000:.1f} | {high * 1000:.1f} | 1.0 | | | |"
        )
        full = statistics.median(samples["1 %"])
        few = statistics.median(samples["0.1 %"])
        none = statistics.median(samples["none"])
        breakdown = result["breakdown"]
        update_seq = any(
            "Seq Scan on patients_treatment" in line or "rows=1000000" in line
            for line in result["update_plan"]
        )
        labels = {
            "SELECT": "the select of due treatments",
            "INSERT": "the outbox insert (INSERT … SELECT FROM unnest, ON CONFLICT DO NOTHING)",
            "UPDATE": "the UPDATE … FROM unnest(…) of next reminder times",
            "COMMIT": "the commits (deferred foreign-key checks on the patient included)",
            "Python": "Python (moments, building the SQL)",
        }
        parts = "; ".join(
            f"{labels.get(key, key)} {value * 1000:.0f} ms"
            for key, value in breakdown.items()
            if key != "total"
        )
        lines += [
            "",
            f"- scaling: 10 times the due treatments ({outcome['0.1 %'][0]:,} → "
            f"{outcome['1 %'][0]:,}) on the same {total:,} take {full / few:.1f} times as long; "
            f"with none due the scan is one index probe, {none * 1000:.1f} ms",
            f"- where the time of one more {outcome['1 %'][0]:,}-due run goes "
            f"({breakdown['total'] * 1000:.0f} ms): {parts}",
            f"- target: {outcome['1 %'][0]:,} due of {total:,} in under 1 s: "
            f"{'met' if full < 1 else 'NOT met'} ({full * 1000:.0f} ms, "
            f"{outcome['1 %'][2]:,} outbox rows: e-mail and in-app per due treatment)",
            f"- the scan's select reads the partial index `treatment_reminder_due`: "
            f"{'yes' if uses_index else 'NO'}. Its plan for the first batch, as the scan sends it "
            "(captured from `queue_due_reminders`, then `EXPLAIN (ANALYZE, BUFFERS)` with "
            f"{outcome['1 %'][0]:,} due):",
            "",
            "```text",
            *result["scan_plan"],
            "```",
            "",
            "The scan's `UPDATE … FROM unnest(…)` of next reminder times "
            f"(`_move_next_reminders`, {result['update_rows']:,} rows, the first batch), "
            "`EXPLAIN (ANALYZE, BUFFERS)` in a transaction rolled back: "
            + (
                "**it reads the whole table**, so this part grows with the total, not with the "
                "due rows"
                if update_seq
                else "it looks each due row up by its primary key (a nested loop), so it grows "
                "with the due rows only"
            )
            + ":",
            "",
            "```text",
            *result["update_plan"],
            "```",
            "",
            "The reference's plan:",
            "",
            "```text",
            *result["reference_plan"],
            "```",
        ]
        write_section(self.output, "reminder-scan", lines)
        self.stdout.write(
            f"Scan: {full * 1000:.0f} ms for {outcome['1 %'][0]:,} due of {total:,} "
            f"(×{full / reference:.0f} the indexed select), {few * 1000:.0f} ms for "
            f"{outcome['0.1 %'][0]:,} (ratio {full / few:.1f}), index used: {uses_index}"
        )

    # --- 2. Send throughput -----------------------------------------------------------------------

    def _send(self) -> dict:
        broker = settings.CELERY_BROKER_URL
        scheme = urlsplit(broker).scheme
        if scheme not in ("redis", "rediss"):
            raise Skip(f"the Celery broker is not Redis ({scheme}://)")
        client = redis.Redis.from_url(broker, socket_connect_timeout=2, socket_timeout=5)
        try:
            client.ping()
            redis_version = client.info("server")["redis_version"]
        except (redis.RedisError, OSError) as error:
            where = urlsplit(broker).hostname, urlsplit(broker).port or 6379
            raise Skip(f"Redis is not reachable at {where[0]}:{where[1]} ({error})") from error

        queue = self._queue()
        count, repeat = self.options["send_count"], self.options["send_repeat"]
        self._purge(queue)
        self.vapid = new_vapid_keys()
        self.push_service = CountingPushService().__enter__()
        worker = self._start_worker(queue)
        worker.wait_ready(WORKER_READY_TIMEOUT)
        log = worker.log
        samples: dict[str, list[float]] = {
            "noop": [],
            "reminders": [],
            "push": [],
            "noop-batch": [],
        }
        try:
            with override_settings(REMINDERS_QUEUE=queue):

                def done() -> int:
                    return int(client.get(DONE_KEY) or 0)

                def noops(tasks: int, ids_per_task: int, timeout: float = RUN_TIMEOUT) -> float:
                    client.delete(DONE_KEY)
                    started = time.perf_counter()
                    for task in range(tasks):
                        first = task * ids_per_task
                        noop.apply_async((list(range(first, first + ids_per_task)),), queue=queue)
                    return self._wait(done, tasks, worker, log, timeout) - started

                ready = noops(1, 1, timeout=WORKER_READY_TIMEOUT)
                self.stdout.write(f"Worker ready in {ready:.1f} s")
                # Warm-up: each prefork child opens its connection and loads the templates.
                noops(20, 1)
                self._send_reminders(4 * SEND_BATCH, worker, log)
                self.stdout.write(
                    f"Send: {count:,} per run, {repeat} runs, worker on queue {queue!r}…"
                )
                for run in range(repeat):
                    samples["noop"].append(noops(count, 1))
                    samples["reminders"].append(self._send_reminders(count, worker, log))
                    samples["push"].append(
                        self._send_reminders(count, worker, log, channel=Channel.PUSH)
                    )
                    samples["noop-batch"].append(noops(count // SEND_BATCH, SEND_BATCH))
                    self.stdout.write(
                        f"  run {run + 1}: no-op {count / samples['noop'][-1]:.0f} tasks/s, "
                        f"reminders {count / samples['reminders'][-1]:.0f}/s, "
                        f"push {count / samples['push'][-1]:.0f}/s, "
                        f"no-op ×{SEND_BATCH} {count / samples['noop-batch'][-1]:.0f} ids/s"
                    )
        finally:
            self._stop_worker(worker)
            self.push_service.__exit__(None, None, None)
            PushSubscription.objects.all().delete()
            ReminderSettings.objects.filter(by_push=True).update(by_push=False)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table(Reminder)}")
            self._purge(queue)
            client.delete(DONE_KEY)
        in_process = self._deliver_in_process(queue)
        return {
            "in_process": in_process,
            "count": count,
            "repeat": repeat,
            "samples": samples,
            "worker": worker.argv,
            "redis": redis_version,
            "postgres": self._postgres_version(),
            "queue": queue,
            "pushed": self.push_service.count,
        }

    def _purge(self, queue: str) -> None:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)

    def _start_worker(self, queue: str) -> CeleryProcess:
        log = settings.VAR_DIR / "bench-worker.log"
        worker = celery_workers.start_worker(
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=WARNING",
            name=queue,
            queue=queue,
            log=log,
            broker=settings.CELERY_BROKER_URL,
            env={
                "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "LOG_LEVEL": "WARNING",
                # Push to the bench's own push service on 127.0.0.1.
                "VAPID_PUBLIC_KEY": self.vapid[0],
                "VAPID_PRIVATE_KEY": self.vapid[1],
                "VAPID_SUBJECT": "mailto:bench@interleukin-care.fr",
                "PUSH_ALLOW_HTTP_ENDPOINTS": "1",
            },
        )
        self.stdout.write(f"Started a Celery worker (pid {worker.pid}), log in {log}")
        return worker

    def _stop_worker(self, worker: CeleryProcess) -> None:
        code = worker.stop(timeout=30)
        self.stdout.write(f"Stopped the worker (pid {worker.pid}, exit {code})")

    def _wait(self, done, target: int, worker: CeleryProcess, log: Path, timeout=RUN_TIMEOUT):
        started = time.perf_counter()
        while True:
            if done() >= target:
                return time.perf_counter()
            if worker.process.poll() is not None:
                code = worker.process.returncode
                raise CommandError(f"the bench worker exited ({code}); see {log}")
            if time.perf_counter() - started > timeout:
                raise CommandError(f"{done()} of {target} done after {timeout} s; see {log}")
            time.sleep(POLL)

    def _pending_reminders(self, count: int, channel: str = Channel.EMAIL) -> None:
        """`count` due reminders for real treatments (e-mail, or push), in an empty outbox."""
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table(Reminder)}")
            # The next dose of treatments that are not due: 'coming up' when it is after today
            # in every zone, else 'overdue' (the fill may be days old). Both still stand.
            next_number = column(Treatment, "next_dose_number")
            next_on = column(Treatment, "next_dose_on")
            statement, params = insert_select(
                Reminder,
                {
                    "patient": column(Treatment, "patient"),
                    "treatment": column(Treatment, "id"),
                    "dose_number": next_number,
                    "about_date": next_on,
                    "kind": f"CASE WHEN {next_on} > %(today)s "
                    "THEN %(upcoming)s ELSE %(overdue)s END",
                    "occurrence": f"'dose-' || {next_number} || CASE WHEN {next_on} > %(today)s "
                    "THEN ':lead-0' ELSE ':late-1' END",
                    "channel": "%(email)s",
                    "state": "%(pending)s",
                    "due_at": "%(due)s",
                    "last_error": "''",
                    "created_at": "%(now)s",
                    "updated_at": "%(now)s",
                },
                f"FROM {table(Treatment)} "
                f"WHERE {column(Treatment, 'next_reminder_at')} > %(epoch)s "
                f"AND {column(Treatment, 'stopped_on')} IS NULL "
                f"ORDER BY {column(Treatment, 'id')} LIMIT %(count)s",
                {
                    "today": now.date(),
                    "upcoming": Kind.UPCOMING_DOSE,
                    "overdue": Kind.OVERDUE_DOSE,
                    "email": channel,
                    "pending": State.PENDING,
                    "due": now - timedelta(minutes=1),
                    "now": now,
                    "epoch": self.epoch,
                    "count": count,
                },
            )
            cursor.execute(statement, params)
            cursor.execute(f"ANALYZE {table(Reminder)}")  # as autovacuum would have by now
        if channel == Channel.PUSH:
            self._push_devices()

    def _push_devices(self) -> None:
        """Each patient of the pending push rows wants push and has one device, whose endpoint
        is the bench's push service on 127.0.0.1 (set once; removed at the end of the send)."""
        patients = set(Reminder.objects.values_list("patient_id", flat=True))
        ReminderSettings.objects.filter(patient_id__in=patients).update(by_push=True)
        have = set(
            ReminderSettings.objects.filter(patient_id__in=patients).values_list("pk", flat=True)
        )
        ReminderSettings.objects.bulk_create(
            [ReminderSettings(patient_id=pk, by_push=True) for pk in patients - have]
        )
        phone = Phone()
        PushSubscription.objects.bulk_create(
            [
                PushSubscription(
                    patient_id=pk,
                    endpoint=self.push_service.endpoint(str(pk)),
                    p256dh=phone.p256dh,
                    auth=phone.auth,
                    label="bench",
                )
                for pk in patients
            ],
            ignore_conflicts=True,
        )

    def _send_reminders(
        self, count: int, worker: CeleryProcess, log: Path, channel: str = Channel.EMAIL
    ) -> float:
        """The time from `dispatch_reminders` to the last of `count` reminders recorded as sent
        by the worker."""
        self._pending_reminders(count, channel)
        mine = Reminder.objects.all()
        finished = mine.exclude(state__in=[State.PENDING, State.SENDING])
        started = time.perf_counter()
        claimed = dispatch_reminders(now=timezone.now())
        if claimed != count:
            raise CommandError(f"dispatch_reminders claimed {claimed}, not {count}")
        ended = self._wait(finished.count, count, worker, log)
        states = Counter(mine.values_list("state", flat=True))
        if states[State.SENT] != count:
            raise CommandError(f"not every reminder was sent: {dict(states)}; see {log}")
        return ended - started

    def _deliver_in_process(self, queue: str, count: int = 300) -> list[float] | None:
        """`deliver_reminder` called in this process, without Celery, once the worker is gone:
        what one reminder costs a process. (The ids `dispatch_reminders` enqueues are purged.)"""
        if not settings.MAILERS["default"]["BACKEND"].endswith("locmem.EmailBackend"):
            return None
        self._pending_reminders(count)
        with override_settings(REMINDERS_QUEUE=queue):
            dispatch_reminders(now=timezone.now())
        self._purge(queue)
        samples = []
        for reminder_id in Reminder.objects.order_by("pk").values_list("pk", flat=True):
            started = time.perf_counter()
            outcome = deliver_reminder(reminder_id=reminder_id, now=timezone.now())
            samples.append(time.perf_counter() - started)
            if outcome != "sent":
                raise CommandError(f"deliver_reminder({reminder_id}) returned {outcome!r}")
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table(Reminder)}")
        mail.outbox = []
        return samples[count // 10 :]  # the first ones load the templates and catalogs

    def _write_send(self, result: dict) -> None:
        samples, count, repeat = result["samples"], result["count"], result["repeat"]
        rate = {key: count / statistics.median(values) for key, values in samples.items()}
        runs = {
            key: ", ".join(f"{count / value:.0f}" for value in values)
            for key, values in samples.items()
        }
        ratio = rate["reminders"] / rate["noop"]
        worker = " ".join(["celery", *result["worker"][result["worker"].index("-A") :]])
        lines = [
            *self._header("Reminder send throughput (Redis + a Celery worker)"),
            f"- services: Redis {result['redis']} (broker), PostgreSQL {result['postgres']} "
            f"(`{settings.DATABASES['default']['NAME']}`, the scan's database)",
            f"- worker, started by the command and stopped at the end: `{worker}` with "
            "`EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend` and "
            f"`CELERY_TASK_DEFAULT_QUEUE={result['queue']}` (a bench-only queue)",
            f"- reminders: {count:,} pending e-mail reminders of real treatments ('coming up' and "
            "'overdue' dose e-mails, in French and English), then `dispatch_reminders(now=…)` "
            f"claims them and enqueues their ids, {SEND_BATCH} per `patients.tasks.send_reminders` "
            "task, the batch held with advisory locks, each reminder rendered, sent and "
            "recorded on its own; the same for push (one device per patient); timed from the "
            f"call until all {count:,} are `sent` (the outbox polled every {POLL * 1000:.0f} ms)",
            f"- reference: {count:,} no-op tasks of the same shape (`bench.tasks.noop`: "
            "a list with one id, `acks_late`, `reject_on_worker_lost`, `ignore_result`), same "
            "queue, same worker, same run; timed from the first enqueue until all have run (each "
            f"increments a Redis counter, polled every {POLL * 1000:.0f} ms)",
            f"- figures: {count:,} / the median of {repeat} runs (runs interleaved: no-op, "
            "e-mail reminders, push reminders, batched no-op)",
            "",
            "| what | per second | each run | ratio to no-op tasks |",
            "|---|---:|---:|---:|",
            f"| no-op tasks, one id each (reference) | {rate['noop']:.0f} tasks/s | "
            f"{runs['noop']} | 1.00 |",
            f"| reminders sent end-to-end ({SEND_BATCH} per task) | "
            f"{rate['reminders']:.0f} reminders/s | {runs['reminders']} | {ratio:.2f} |",
            f"| push notifications sent end-to-end ({SEND_BATCH} per task, to a push service on "
            f"127.0.0.1 answering 201: `bench.push_service.CountingPushService`, asyncio in the "
            f"bench process) | {rate['push']:.0f} pushes/s | {runs['push']} | "
            f"{rate['push'] / rate['noop']:.2f} |",
            f"| no-op tasks carrying {SEND_BATCH} ids each (context) | "
            f"{rate['noop-batch']:.0f} ids/s | {runs['noop-batch']} | "
            f"{rate['noop-batch'] / rate['noop']:.2f} |",
            "",
            f"- target: reminders/s ÷ no-op tasks/s ≥ 0.5: {'met' if ratio >= 0.5 else 'NOT met'} "
            f"({ratio:.2f})",
            f"- target: pushes/s ÷ no-op tasks/s ≥ 0.5: "
            f"{'met' if rate['push'] / rate['noop'] >= 0.5 else 'NOT met'} "
            f"({rate['push'] / rate['noop']:.2f}); each push is encrypted for its device "
            "(RFC 8291, one ECDH per message), signed for its push service (VAPID, once per "
            "service and worker child) and posted over HTTP keep-alive (one urllib3 pool per "
            "worker child); "
            f"{result['pushed']:,} messages reached the push service",
            f"- per reminder, {1000 * 2 / rate['reminders']:.1f} ms of one of the 2 worker "
            f"processes (PostgreSQL shares the 2 cores); per no-op task "
            f"{1000 * 2 / rate['noop']:.1f} ms. The batched no-op carries "
            f"{rate['noop-batch']:.0f} ids/s: the broker and the task overhead are not what "
            "limits the reminders, delivering each one is",
        ]
        if result["in_process"]:
            one = statistics.median(result["in_process"])
            lines.append(
                f"- in the bench process, without Celery: one `deliver_reminder` call, a batch of "
                f"one e-mail (the hold, the batch's reads and the release paid for a single "
                f"reminder), takes {one * 1000:.1f} ms (median of {len(result['in_process'])}, "
                f"after a warm-up); in the worker's batches of {SEND_BATCH} a reminder costs "
                f"{1000 * 2 / rate['reminders']:.1f} ms of a process, a no-op task "
                f"{1000 * 2 / rate['noop']:.1f} ms"
            )
        write_section(self.output, "reminder-send", lines)
        self.stdout.write(
            f"Send: {rate['reminders']:.0f} reminders/s, {rate['push']:.0f} pushes/s, "
            f"no-op {rate['noop']:.0f} tasks/s, "
            f"ratio {ratio:.2f}; no-op ×{SEND_BATCH} {rate['noop-batch']:.0f} ids/s"
        )
