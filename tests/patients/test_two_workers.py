"""The production topology in small: two Celery worker processes with their own node names and
two beats, on one Redis and one PostgreSQL database (docs/deploy.md).

What it shows: the reminders are shared between the workers, and none is sent twice even though
two beats tick at once (each tick scans, then claims with `select_for_update(skip_locked=True)`;
delivery holds an advisory lock per reminder and sends only a row still claimed). PostgreSQL only:
on SQLite those locks do not exist, and the embedded set-up runs one worker.
"""

import email
from pathlib import Path

import pytest
import redis

from bench import celery_workers
from bench.celery_workers import CeleryProcess
from patients.models import Channel, Reminder, State
from tests.support.workers import (
    due_patients,
    need_postgresql,
    own_queue,
    sent_emails,
    wait_for,
    worker_env,
)

PATIENTS = 200
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    """A queue of this test's own (the workers' and beats' default queue), emptied after it."""
    with own_queue(settings, "test-two-workers", route=False) as name:
        yield name


def start_worker(node: str, *, queue: str, tmp: Path, broker: str) -> CeleryProcess:
    """A worker as in production (prefork, two children), writing its e-mails to its folder."""
    (tmp / node).mkdir()
    return celery_workers.start_worker(
        "--concurrency",
        "2",
        "--loglevel",
        "INFO",
        "--without-heartbeat",  # as gossip and mingle: not needed here, and they slow the start
        name=node,
        queue=queue,
        log=tmp / f"{node}.log",
        broker=broker,
        env=worker_env(EMAIL_BACKEND="tests.support.StallingFileBackend", MAIL_DIR=str(tmp / node)),
    )


def start_beat(name: str, *, queue: str, tmp: Path, broker: str) -> CeleryProcess:
    """A beat ticking every second (its own schedule file, as on another machine)."""
    return celery_workers.start_beat(
        "--loglevel",
        "INFO",
        schedule=tmp / f"{name}-schedule",
        log=tmp / f"{name}.log",
        broker=broker,
        env=worker_env(CELERY_TASK_DEFAULT_QUEUE=queue, REMINDER_SCAN_EVERY="1"),
    )


def ticks(log: Path) -> int:
    return log.read_text(errors="replace").count("Sending due task reminders")


def recipients(folder: Path) -> list[str]:
    return [
        email.message_from_bytes(path.read_bytes())["To"] for path in sorted(folder.glob("*.eml"))
    ]


def test_two_workers_and_two_beats_share_the_reminders_and_send_each_once(
    catalogue, queue, settings, tmp_path
):
    need_postgresql()
    treatments = due_patients(PATIENTS)
    broker_url = settings.CELERY_BROKER_URL
    workers = [
        start_worker(node, queue=queue, tmp=tmp_path, broker=broker_url) for node in ("w1", "w2")
    ]
    beats = []
    try:
        for worker in workers:
            worker.wait_ready(120)
        beats = [
            start_beat(name, queue=queue, tmp=tmp_path, broker=broker_url) for name in ("b1", "b2")
        ]
        wait_for(lambda: sent_emails() == PATIENTS, 180, "every e-mail to be sent")
        # Both beats go on ticking over rows already sent: a duplicate would show up now.
        seen = {name: ticks(tmp_path / f"{name}.log") for name in ("b1", "b2")}
        for name, count in seen.items():
            log = tmp_path / f"{name}.log"
            wait_for(lambda log=log, count=count: ticks(log) >= count + 2, 60, f"{name} to tick")
        for beat in beats:
            beat.stop()
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        wait_for(lambda: broker.llen(queue) == 0, 60, "the workers to drain the queue")
    finally:
        for process in beats + workers:
            process.stop()

    logs = {node: (tmp_path / f"{node}.log").read_text() for node in ("w1", "w2", "b1", "b2")}
    for node, text in logs.items():
        assert "Traceback" not in text, f"{node} failed:\n{text[-3000:]}"
    assert ticks(tmp_path / "b1.log") > 0
    assert ticks(tmp_path / "b2.log") > 0

    by_worker = {node: recipients(tmp_path / node) for node in ("w1", "w2")}
    assert by_worker["w1"], "w1 sent nothing: the reminders were not shared"
    assert by_worker["w2"], "w2 sent nothing: the reminders were not shared"
    sent = by_worker["w1"] + by_worker["w2"]
    assert sorted(sent) == sorted(t.patient.email for t in treatments)  # each exactly once

    emails = Reminder.objects.filter(channel=Channel.EMAIL)
    assert emails.count() == PATIENTS  # the outbox's unique constraint: one row per reminder
    # Claimed once each: no tick took a reminder another tick had claimed.
    assert set(emails.values_list("state", "attempts")) == {(State.SENT, 1)}
