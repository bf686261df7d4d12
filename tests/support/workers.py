"""Real Redis and real Celery workers for the worker tests (tests/patients/test_reminder_worker.py,
test_push_worker.py, test_two_workers.py): a queue of the test's own, a worker in a thread of
this process (celery.contrib.testing) or in a process of its own (bench/celery_workers.py, the
helper the benchmarks use) on the test database, and patients whose reminders are due now.

Each test sends on its own queue, so a `make run` worker on the same Redis never takes its tasks.
The reminders are due at 00:00 home time today, so they are due whatever the real clock says.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench import celery_workers
from bench.celery_workers import CeleryProcess
from config.celery import app as celery_app
from patients import timeutils
from patients.models import Channel, Reminder, ReminderSettings, State
from patients.reminders.delivery import dispatch_reminders
from tests.factories import TreatmentFactory, UserFactory
from tests.support.services import need_service, redis_answers


def wait_for(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


LOCKS = "PostgreSQL locks (skip-locked claims, advisory locks) are what this test proves"


def need_postgresql(why: str = LOCKS) -> None:
    need_service(connection.vendor == "postgresql", why)


@contextmanager
def own_queue(test_settings, prefix: str, *, route: bool = True):
    """A queue named `prefix`-<random> on the broker the settings name, emptied after the test;
    with `route`, the reminders' tasks are sent there (REMINDERS_QUEUE)."""
    url = test_settings.CELERY_BROKER_URL
    need_service(url.startswith("redis") and redis_answers(url), f"no Redis at {url}")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    if route:
        test_settings.REMINDERS_QUEUE = name
    try:
        yield name
    finally:
        redis.Redis.from_url(url).delete(name)


@contextmanager
def worker_thread(queue: str):
    """A solo worker of the app in a thread of this process, consuming `queue`."""
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue],
        shutdown_timeout=30,
        loglevel="WARNING",
    ) as worker:
        yield worker


def worker_env(**env: str) -> dict[str, str]:
    """What a worker process needs to use the test database (a transactional test: what this
    process writes is committed), and `env`."""
    return {"DATABASE_URL": celery_workers.database_url(connection.settings_dict), **env}


def start_worker_process(queue: str, log: Path, **env: str) -> CeleryProcess:
    """A solo worker in a process of its own on the test database, logging at INFO to `log`
    (the tests read its "skipped" lines), named after the queue and the log."""
    return celery_workers.start_worker(
        "--pool=solo",
        "--without-heartbeat",
        "--loglevel=INFO",
        name=f"{queue}-{log.stem}",
        queue=queue,
        log=log,
        broker=settings.CELERY_BROKER_URL,
        env=worker_env(**env),
    )


def due_patients(count: int, *, prefix: str = "due") -> list:
    """`count` patients whose dose is today, reminded by e-mail at 00:00: due now."""
    treatments = []
    for n in range(count):
        patient = UserFactory(email=f"{prefix}{n}@example.com")
        ReminderSettings.objects.create(patient=patient, lead_days=[0], hour=0)
        today = timeutils.local_today(patient.zone)
        treatment = TreatmentFactory(patient=patient, first_dose_on=today)
        assert treatment.next_reminder_at <= timezone.now()
        treatments.append(treatment)
    return treatments


def dispatch_every_attempt(reminder, attempts: int) -> None:
    """Dispatch `reminder` `attempts` times, each time as soon as its backoff allows, and wait
    for the worker (consuming the queue) to record each attempt; `reminder` is refreshed."""
    at = timezone.now()
    for attempt in range(1, attempts + 1):
        dispatch_reminders(now=at)
        wait_for(
            lambda n=attempt: Reminder.objects.filter(
                pk=reminder.pk, attempts=n, state__in=[State.PENDING, State.FAILED]
            ).exists(),
            what=f"attempt {attempt}",
        )
        reminder.refresh_from_db()
        at = max(at, reminder.due_at)  # the backoff moved it later


def sent_emails() -> int:
    return Reminder.objects.filter(channel=Channel.EMAIL, state=State.SENT).count()


def send_due(at, capture) -> list[str]:
    """Dispatch at `at` and deliver what was claimed, as the worker would (same ids), in this
    process: `capture` is pytest-django's django_capture_on_commit_callbacks."""
    import time_machine

    from patients.reminders.delivery import deliver_reminder

    with time_machine.travel(at, tick=False), capture(execute=False) as callbacks:
        dispatch_reminders(now=at)
    outcomes = []
    for callback in callbacks:
        (ids,) = callback.args
        assert all(isinstance(i, int) for i in ids)  # only ids go through the broker
        for reminder_id in ids:
            with time_machine.travel(at, tick=False):
                outcomes.append(deliver_reminder(reminder_id=reminder_id, now=at))
    return outcomes
