"""Push reminders through real Redis and real Celery workers to a push service on 127.0.0.1.

Like tests/patients/test_reminder_worker.py for e-mail: each test sends on its own queue, the
reminders are due at 00:00 home time today (due whatever the clock says). The push service
answers 201, then 404/410, 429 and 500 as each test scripts it.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from bench.celery_workers import CeleryProcess
from patients import tasks, timeutils
from patients.models import Channel, PushSubscription, Reminder, ReminderSettings, State
from patients.reminders.channels.push import new_vapid_keys
from patients.reminders.delivery import dispatch_reminders
from patients.reminders.outbox import MAX_ATTEMPTS
from patients.reminders.scan import queue_due_reminders
from tests.factories import TreatmentFactory, UserFactory
from tests.support.push_service import Phone, PushService
from tests.support.workers import (
    dispatch_every_attempt,
    need_postgresql,
    own_queue,
    start_worker_process,
    wait_for,
    worker_thread,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def vapid(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = new_vapid_keys()
    settings.VAPID_SUBJECT = "mailto:ops@interleukin-care.fr"
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    return settings


@pytest.fixture
def queue(settings):
    with own_queue(settings, "test-push") as name:
        yield name


def push_patient(service: PushService, phone: Phone, n: int = 0):
    patient = UserFactory(email=f"push{n}@example.com")
    ReminderSettings.objects.create(
        patient=patient, lead_days=[0], hour=0, by_email=True, in_app=False, by_push=True
    )
    today = timeutils.local_today(patient.zone)
    treatment = TreatmentFactory(patient=patient, first_dose_on=today)
    sub = phone.subscription(service.endpoint(f"device-{n}"))
    PushSubscription.objects.create(
        patient=patient, endpoint=sub["endpoint"], label="Phone", **sub["keys"]
    )
    return patient, treatment


def push_state(patient) -> str | None:
    rows = Reminder.objects.filter(patient=patient, channel=Channel.PUSH)
    return rows.values_list("state", flat=True).first()


def test_a_push_goes_from_plan_to_phone_through_redis_and_a_worker_once(
    catalogue, queue, vapid, mailoutbox
):
    phone = Phone()
    with PushService([201]) as service:
        patient, _treatment = push_patient(service, phone)
        with worker_thread(queue):
            tasks.queue_due_reminders.apply_async(queue=queue)  # the beat's task, real clock
            wait_for(lambda: push_state(patient) == State.SENT, what="the push to be sent")
            tasks.queue_due_reminders.apply_async(queue=queue)  # a second tick sends nothing
            time.sleep(1.5)
    assert len(service.received) == 1
    assert phone.read(service.received[0])["notification"]["title"] == (
        "Votre injection est prévue aujourd’hui"
    )
    assert len(mailoutbox) == 1  # e-mail keeps working beside push


@pytest.mark.parametrize("gone", [404, 410])
def test_a_gone_subscription_is_removed_by_the_worker(catalogue, queue, vapid, gone, client):
    with PushService([gone]) as service:
        patient, _treatment = push_patient(service, Phone())
        with worker_thread(queue):
            tasks.queue_due_reminders.apply_async(queue=queue)
            wait_for(lambda: push_state(patient) == State.FAILED, what="the push to fail")
    assert not PushSubscription.objects.exists()
    client.force_login(patient)
    page = client.get(reverse("patients:reminder_settings")).content.decode()
    assert "a été retiré" in page


@pytest.mark.parametrize("status", [429, 500])
def test_a_busy_push_service_is_retried_with_backoff_then_failed_and_shown(
    catalogue, queue, vapid, status, client
):
    with PushService([status]) as service:
        patient, _treatment = push_patient(service, Phone())
        queue_due_reminders(now=timezone.now())
        push = Reminder.objects.get(channel=Channel.PUSH)
        with worker_thread(queue):
            dispatch_every_attempt(push, MAX_ATTEMPTS)
    assert (push.state, push.attempts, push.last_error) == (
        State.FAILED,
        MAX_ATTEMPTS,
        f"Push {status}",
    )
    assert len(service.received) == MAX_ATTEMPTS
    client.force_login(patient)
    page = client.get(reverse("patients:notifications")).content.decode()
    assert "Nous n’avons pas pu envoyer cette notification à vos appareils" in page


def push_worker(queue: str, log: Path, settings) -> CeleryProcess:
    """A worker process sending pushes with the test's VAPID keys to http:// endpoints."""
    return start_worker_process(
        queue,
        log,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        VAPID_PUBLIC_KEY=settings.VAPID_PUBLIC_KEY,
        VAPID_PRIVATE_KEY=settings.VAPID_PRIVATE_KEY,
        VAPID_SUBJECT=settings.VAPID_SUBJECT,
        PUSH_ALLOW_HTTP_ENDPOINTS="1",
    )


def test_a_worker_killed_mid_send_leads_to_exactly_one_accepted_push(
    catalogue, queue, vapid, tmp_path
):
    """The worker is SIGKILLed while the push service holds its request unanswered (so the
    service never accepted that message); a second worker sends it once, and the killed one's
    message, delivered again by Redis, is skipped."""
    need_postgresql("advisory locks are what this test proves")
    stall = tmp_path / "stall"
    stall.touch()
    with PushService([201], stall_file=str(stall)) as service:
        patient, _treatment = push_patient(service, Phone())
        ReminderSettings.objects.filter(patient=patient).update(by_email=False)
        queue_due_reminders(now=timezone.now())
        push = Reminder.objects.get(channel=Channel.PUSH)
        first = push_worker(queue, tmp_path / "first.log", vapid)
        try:
            claimed_at = timezone.now()
            assert dispatch_reminders(now=claimed_at) == 1
            wait_for(Path(f"{stall}.stalled").exists, 60, "the worker to stall mid-send")
        finally:
            first.kill()
        push.refresh_from_db()
        assert push.state == State.SENDING  # claimed, never recorded as sent
        stall.unlink()
        second = push_worker(queue, tmp_path / "second.log", vapid)
        try:
            later = claimed_at + timedelta(seconds=django_settings.REMINDER_CLAIM_TIMEOUT + 1)
            assert dispatch_reminders(now=later) == 1
            wait_for(lambda: push_state(patient) == State.SENT, 60, "the push after recovery")
            tasks.send_reminders.apply_async(([push.pk],), queue=queue)  # Redis redelivers
            log = tmp_path / "second.log"
            wait_for(lambda: f" {push.pk}: skipped" in log.read_text(), 60, "redelivery")
        finally:
            second.stop(20)
    accepted = [r for r in service.received if r.answered]
    assert len(accepted) == 1, [(r.status, r.answered) for r in service.received]
    push.refresh_from_db()
    assert (push.state, push.attempts) == (State.SENT, 2)
