"""Reminders through real Redis and real Celery workers (CI runs these with REQUIRE_SERVICES=1).

Each test sends on its own queue, so a `make run` worker on the same Redis never takes its tasks.
The reminders here are due at 00:00 home time today, so they are due whatever the real clock says.
"""

import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from patients import tasks, timeutils
from patients.models import Channel, Reminder, State
from patients.reminders.delivery import dispatch_reminders
from patients.reminders.scan import queue_due_reminders
from patients.treatments.reminders import plan_reminders
from tests.support.services import need_service, redis_answers
from tests.support.workers import (
    dispatch_every_attempt,
    due_patients,
    need_postgresql,
    own_queue,
    sent_emails,
    start_worker_process,
    wait_for,
    worker_thread,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@contextmanager
def broker(url: str):
    """Point the Celery app at another broker for a while (pools are rebuilt from the URL)."""
    original = celery_app.conf.broker_url

    def switch(to: str) -> None:
        celery_app.conf.broker_url = to
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    switch(url)
    try:
        yield
    finally:
        switch(original)


@pytest.fixture
def queue(settings):
    with own_queue(settings, "test-reminders") as name:
        yield name


def test_a_reminder_goes_from_plan_to_mail_outbox_through_redis_and_a_worker(catalogue, queue):
    (treatment,) = due_patients(1)
    with worker_thread(queue):
        # The beat's task itself, on the test queue, with the real clock.
        tasks.queue_due_reminders.apply_async(queue=queue)
        wait_for(lambda: sent_emails() == 1, what="the e-mail to be sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [treatment.patient.email]
    assert mail.outbox[0].subject == "Votre injection est prévue aujourd’hui"
    in_app = Reminder.objects.get(channel=Channel.IN_APP)
    assert in_app.state == State.SENT


def open_sessions() -> set[int]:
    """The PostgreSQL sessions open on the test database, other than this connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_a_worker_keeps_its_database_connection_from_one_batch_to_the_next(
    catalogue, queue, tmp_path
):
    """Celery's Django fix-up closed every connection after every task, so each batch paid a
    new PostgreSQL session; config/celery.py keeps it as Django would (DB_CONN_MAX_AGE)."""
    need_postgresql("the worker's session is read in pg_stat_activity")
    before = open_sessions()  # this process's other threads may keep some from earlier tests
    worker = start_worker_process(queue, tmp_path / "worker.log", EMAIL_BACKEND=LOCMEM)
    try:
        sessions = []
        for batch in range(2):
            due_patients(1, prefix=f"batch{batch}-")
            queue_due_reminders(now=timezone.now())
            dispatch_reminders(now=timezone.now())
            wait_for(lambda n=batch + 1: sent_emails() == n, 60, f"batch {batch + 1}")
            sessions.append(open_sessions() - before)
    finally:
        worker.stop(20)
    # Open after the batch, and the same session for the second batch.
    assert len(sessions[0]) == 1 and sessions[1] == sessions[0]


def test_two_scans_and_dispatchers_at_once_send_one_email_per_reminder(catalogue, queue):
    need_postgresql()
    treatments = due_patients(12)
    now = timezone.now()
    start = threading.Barrier(2)
    errors = []

    def tick() -> None:
        try:
            start.wait()
            queue_due_reminders(now=now, batch_size=5)
            dispatch_reminders(now=now, limit=5)
        except Exception as error:  # reported below: a thread must not swallow a failure
            errors.append(error)
        finally:
            connection.close()

    with worker_thread(queue):
        threads = [threading.Thread(target=tick) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        wait_for(lambda: sent_emails() == len(treatments), what="all e-mails")
        time.sleep(1)  # a duplicate, if any, would be on its way now
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(t.patient.email for t in treatments)


def test_a_transaction_that_rolls_back_enqueues_nothing(catalogue, queue, settings):
    due_patients(2)
    queue_due_reminders(now=timezone.now())
    with pytest.raises(RuntimeError), transaction.atomic():
        assert dispatch_reminders(now=timezone.now()) == 2
        raise RuntimeError("something later in the same transaction failed")
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue) == 0
    assert set(Reminder.objects.filter(channel=Channel.EMAIL).values_list("state", flat=True)) == {
        State.PENDING
    }
    dispatch_reminders(now=timezone.now())  # the next dispatch, committed, does enqueue
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue) == 1


def test_smtp_failing_is_retried_then_failed_and_shown(catalogue, queue, settings, client):
    settings.MAILERS = {"default": {"BACKEND": "tests.support.FlakyBackend"}}
    (treatment,) = due_patients(1)
    queue_due_reminders(now=timezone.now())
    email = Reminder.objects.get(channel=Channel.EMAIL)
    with worker_thread(queue):
        dispatch_every_attempt(email, 5)
    assert (email.state, email.attempts, email.last_error) == (
        "failed",
        5,
        "SMTPServerDisconnected",
    )
    client.force_login(treatment.patient)
    page = client.get("/dashboard/").content.decode()
    assert "Nous n’avons pas pu vous envoyer 1 rappel par e-mail." in page


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def private_redis(port: int):
    server = shutil.which("redis-server")
    need_service(bool(server), "redis-server is not installed")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: redis_answers(f"redis://127.0.0.1:{port}/0"), 10, "redis-server")
        yield process
    finally:
        process.terminate()
        process.wait(10)


def test_with_redis_down_pages_answer_and_every_due_reminder_goes_out_after(
    catalogue, queue, settings, client, monkeypatch
):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    treatments = due_patients(3)
    with broker(url):
        with private_redis(port):
            pass  # Redis was there, and now it is gone
        connects = []
        real_connect = __import__("kombu").Connection.ensure_connection
        monkeypatch.setattr(
            "kombu.Connection.ensure_connection",
            lambda self, *a, **k: connects.append(1) or real_connect(self, *a, **k),
        )
        client.force_login(treatments[0].patient)
        assert client.get("/dashboard/").status_code == 200
        log = client.post(
            f"/treatments/{treatments[0].pk}/injections/new/",
            {
                "dose_number": 1,
                "taken_date": timeutils.local_today(treatments[0].patient.zone),
                "taken_time": timeutils.local_now(treatments[0].patient.zone).strftime("%H:%M"),
                "site": "thigh_left",
                "reaction": "none",
            },
        )
        assert log.status_code == 302  # logged, without waiting for the broker
        assert connects == []  # the web never talks to Redis
        monkeypatch.undo()
        assert client.get("/healthz").status_code == 503

        # The tick runs while Redis is down: rows are written and claimed, nothing is lost.
        now = timezone.now()
        queue_due_reminders(now=now)
        assert dispatch_reminders(now=now) == 2  # the first patient logged her dose
        with private_redis(port), worker_thread(queue):
            later = now + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
            assert dispatch_reminders(now=later) == 2  # the stale claims, taken again
            wait_for(lambda: sent_emails() == 2, what="the e-mails after Redis came back")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(t.patient.email for t in treatments[1:])
    assert not Reminder.objects.filter(treatment=treatments[0]).exists()  # logged in time


def stalling_mail(folder) -> dict[str, str]:
    """E-mails written to `folder`, stalling while `folder`/stall exists (tests/support/mail.py)."""
    return {"EMAIL_BACKEND": "tests.support.StallingFileBackend", "MAIL_DIR": str(folder)}


def test_a_worker_killed_between_claim_and_send_leads_to_exactly_one_email(
    catalogue, queue, settings, tmp_path
):
    need_postgresql()
    (treatment,) = due_patients(1)
    queue_due_reminders(now=timezone.now())
    email = Reminder.objects.get(channel=Channel.EMAIL)
    (tmp_path / "stall").touch()
    first = start_worker_process(queue, tmp_path / "first.log", **stalling_mail(tmp_path))
    try:
        claimed_at = timezone.now()
        assert dispatch_reminders(now=claimed_at) == 1
        wait_for((tmp_path / "stalled").exists, 60, "the worker to stall in the middle of sending")
    finally:
        first.kill()
    email.refresh_from_db()
    assert email.state == State.SENDING  # claimed, never sent
    assert list(tmp_path.glob("*.eml")) == []

    (tmp_path / "stall").unlink()
    second = start_worker_process(queue, tmp_path / "second.log", **stalling_mail(tmp_path))
    try:
        later = claimed_at + timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1)
        assert dispatch_reminders(now=later) == 1
        wait_for(lambda: sent_emails() == 1, 60, "the e-mail after recovery")
        # Redis gives the killed worker's unacknowledged message back after its visibility
        # timeout; the same message delivered again must not send a second e-mail.
        tasks.send_reminders.apply_async(([email.pk],), queue=queue)
        log = tmp_path / "second.log"
        wait_for(lambda: f" {email.pk}: skipped" in log.read_text(), 60, "redelivery")
    finally:
        second.stop(20)
    assert len(list(tmp_path.glob("*.eml"))) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == (State.SENT, 2)
    plan_reminders(treatment=treatment, now=timezone.now())  # nothing left to do for today
