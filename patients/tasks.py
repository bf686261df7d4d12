"""Thin Celery tasks: ids in, the domain functions do the work. Their names
(`patients.tasks.<name>`) are what the beat schedule and the broker know: keep them."""

import logging

from celery import shared_task
from django.utils import timezone

from patients import signup
from patients.checklists import queue_checklist_reminders
from patients.journal import prompts
from patients.privacy import retention
from patients.reminders import delivery, scan
from patients.travel.trips import queue_trip_reminders

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def queue_due_reminders() -> None:
    """Beat, every minute: write what fell due into the outbox, then dispatch it."""
    now = timezone.now()
    scan.queue_due_reminders(now=now)
    queue_checklist_reminders(now=now)
    queue_trip_reminders(now=now)
    delivery.dispatch_reminders(now=now)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_reminders(reminder_ids: list[int]) -> None:
    """Deliver claimed reminders one by one: each is locked, sent and recorded on its own."""
    outcomes = delivery.deliver_reminders(reminder_ids=reminder_ids, now=timezone.now())
    # Ids and outcomes, nothing else; one line per batch.
    done = zip(reminder_ids, outcomes, strict=True)
    logger.info("reminders %s", ", ".join(f"{pk}: {outcome}" for pk, outcome in done))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def queue_journal_prompts() -> None:
    """Beat, hourly : the monthly "how are you?" prompt, then dispatch it."""
    now = timezone.now()
    prompts.queue_journal_prompts(now=now)
    delivery.dispatch_reminders(now=now)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def purge_access_log() -> None:
    """Beat, daily: access-log entries and log-in records past their retention, expired
    sessions, sign-ups never confirmed."""
    now = timezone.now()
    deleted = retention.purge_access_log(now=now)
    logins = retention.purge_login_records(now=now)
    retention.clear_expired_sessions()
    unconfirmed = signup.purge_unconfirmed(now=now)
    logger.info(
        "privacy purge: %d access-log entries, %d log-in records, %d unconfirmed sign-ups deleted",
        deleted,
        logins,
        unconfirmed,
    )


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_signup_mail(user_id: int) -> None:
    """A sign-up's one e-mail: the link to a new account, or a word to the address's owner."""
    logger.info("sign-up mail %s: %s", user_id, signup.send_signup_mail(user_id=user_id))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_password_reset(user_id: int | None) -> None:
    """The reset form's e-mail, for an active account (None: the address had none)."""
    logger.info("password reset %s: %s", user_id, signup.send_password_reset(user_id=user_id))
