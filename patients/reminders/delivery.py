"""Dispatch and delivery: claim the due reminders, enqueue their ids, send each through its
channel at most once and record the outcome.

The engine knows the kinds only through `registry` and the channels only through `channels`:
it imports no feature.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import translation

from patients.models import Reminder, State
from patients.reminders.channels import CHANNELS
from patients.reminders.links import open_link
from patients.reminders.outbox import MAX_ATTEMPTS, backoff, channels_of, settings_of
from patients.reminders.registry import kind_spec, related_paths, shared_paths
from patients.timeutils import local_today

logger = logging.getLogger("patients.reminders")

DISPATCH_BATCH = 1000
SEND_BATCH = 20  # reminders per Celery task; each one is still claimed and recorded on its own
SEND_TASK = "patients.tasks.send_reminders"

# --- Dispatch ------------------------------------------------------------------------------------


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)


def dispatch_reminders(*, now: datetime, limit: int = DISPATCH_BATCH) -> int:
    """Claim the due e-mails and enqueue their ids after the claim commits. Returns the count."""
    stale = now - claim_timeout()
    # A claim whose worker died MAX_ATTEMPTS times is not retried for ever.
    Reminder.objects.filter(
        state=State.SENDING, claimed_at__lt=stale, attempts__gte=MAX_ATTEMPTS
    ).update(state=State.FAILED, last_error="WorkerLost")
    claimed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(
                    Q(state=State.PENDING, due_at__lte=now)
                    | Q(state=State.SENDING, claimed_at__lt=stale)
                )
                .order_by("due_at")
                .values_list("pk", flat=True)[:limit]
            )
            Reminder.objects.filter(pk__in=ids).update(
                state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
            for chunk in itertools.batched(ids, SEND_BATCH):
                # robust: a broker that is down must not undo the claim; the claim times out
                # and the next dispatch takes it again.
                transaction.on_commit(partial(_enqueue, list(chunk)), robust=True)
        claimed += len(ids)
        if len(ids) < limit:
            break
    if claimed:
        logger.info("reminder dispatch: %d claimed", claimed)
    return claimed


def _enqueue(ids: list[int]) -> None:
    # By name from Celery's registry (PatientsConfig.ready() imports patients.tasks): the tasks
    # module sits above this one and imports it.
    current_app.tasks[SEND_TASK].apply_async((ids,), queue=settings.REMINDERS_QUEUE)


# --- Delivery ------------------------------------------------------------------------------------


def email_context(reminder: Reminder, *, today: date) -> dict:
    about = reminder.about_date
    return {
        "reminder": reminder,
        "patient": reminder.patient,
        "drug": None,
        "days_until": (about - today).days if about else None,
        "days_late": (today - about).days if about else None,
        "open_url": open_link(reminder),
        "settings_url": settings.SITE_URL + reverse("patients:reminder_settings"),
        # One "discreet" choice for every channel: no medicine name (issue 17, item 11).
        # Read from the batch's select_related settings row: no query per reminder.
        "discreet": settings_of(reminder.patient).calendar_discreet,
        **kind_spec(reminder.kind).context(reminder),
    }


def deliver_reminders(*, reminder_ids: Sequence[int], now: datetime) -> list[str]:
    """Send claimed e-mail reminders, each at most once; returns what happened to each.

    The batch is held (see `_held`), then read in one query, after the hold so that the states
    are fresh; each reminder is then sent and its outcome written by one statement that commits
    on its own, so a worker that dies mid-batch leaves every reminder sent or still claimed.
    """
    sending = [c for c in CHANNELS.values() if not c.delivered_on_write]
    with contextlib.ExitStack() as stack:
        sessions = {c.code: stack.enter_context(c.session()) for c in sending}
        with _held(reminder_ids) as held:
            prefetch = sorted({path for c in sending for path in c.prefetch} | {*shared_paths()})
            batch = (
                Reminder.objects.filter(state=State.SENDING)
                .select_related("patient__reminder_settings", *related_paths())
                .prefetch_related(*prefetch)
                .in_bulk(held)
            )
            return [_deliver(batch.get(pk), now=now, sessions=sessions) for pk in reminder_ids]


def deliver_reminder(*, reminder_id: int, now: datetime) -> str:
    (outcome,) = deliver_reminders(reminder_ids=[reminder_id], now=now)
    return outcome


ADVISORY_NAMESPACE = 0x52454D49 << 32  # "REMI": reminder ids, apart from any other lock key


@contextlib.contextmanager
def _held(ids: Sequence[int]):
    """The ids this worker may deliver: no one else delivers them until it lets go.

    PostgreSQL: session advisory locks, taken in one statement. Unlike row locks they outlive
    each reminder's own commit, and the server drops them when the session ends, so a killed
    worker leaves nothing held (its claims time out and are dispatched again). Elsewhere
    (SQLite, for development, one worker): every id.
    """
    if connection.vendor != "postgresql":
        yield list(ids)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s + id)",
            [list(ids), ADVISORY_NAMESPACE],
        )
        held = [row[0] for row in cursor.fetchall()]
    try:
        yield held
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s + id) FROM unnest(%s::bigint[]) AS id",
                [ADVISORY_NAMESPACE, held],
            )


def _deliver(reminder: Reminder | None, *, now: datetime, sessions: dict) -> str:
    if reminder is None:
        return "skipped"  # already done, or another worker holds it right now
    patient = reminder.patient
    spec = kind_spec(reminder.kind)
    channel = CHANNELS[reminder.channel]
    today = local_today(patient.zone)
    wanted = reminder.channel in channels_of(settings_of(patient))
    if not wanted or not spec.still_stands(reminder, today):
        _record(reminder, now, state=State.CANCELLED)
        return State.CANCELLED
    try:
        # In the patient's language: the text, and the links (their URLs carry the language).
        with translation.override(patient.language):
            channel.send(
                reminder,
                template=spec.template,
                context=email_context(reminder, today=today),
                session=sessions[channel.code],
            )
    except channel.errors as error:
        error_text = channel.describe(error)
        if channel.is_transient(error) and reminder.attempts < MAX_ATTEMPTS:
            retry_at = now + backoff(reminder.attempts)
            _record(reminder, now, state=State.PENDING, due_at=retry_at, last_error=error_text)
        else:
            _record(reminder, now, state=State.FAILED, last_error=error_text)
        logger.warning("reminder %d: %s (attempt %d)", reminder.pk, error_text, reminder.attempts)
        return reminder.state
    _record(reminder, now, state=State.SENT, sent_at=now)
    return State.SENT


RECORDED = ("state", "sent_at", "due_at", "last_error", "updated_at")


def _without_waiting_for_the_disk() -> str:
    """PostgreSQL: the outcome's commit does not wait for its WAL to reach the disk (at most
    3 × wal_writer_delay later, 0.6 s by default), for this statement's implicit transaction
    only (SET LOCAL, sent in the same round trip).

    The commit is still made, in order, by the server even if the worker is killed the moment
    after: only a crash of the database server itself can lose it. The reminder is then
    back to `sending` with its claim, and is sent again once the claim times out: the same
    duplicate as a worker killed between the push service's (or mail server's) answer and
    this statement, which the design already meets with one Topic per dose (the phone
    replaces the first message) and one Message-ID per reminder. Timed in-process on the bench
    database, the statement took 1.0-1.3 ms before and 0.7-1.0 ms after; the rest is the
    round trip."""
    return "SET LOCAL synchronous_commit TO OFF; " if connection.vendor == "postgresql" else ""


def _record(reminder: Reminder, now: datetime, **fields) -> None:
    """Write the outcome, committed at once (plain SQL: this runs once per e-mail, and the
    queryset cost more Python than the statement)."""
    for name, value in {**fields, "updated_at": now}.items():
        setattr(reminder, name, value)
    columns = [Reminder._meta.get_field(name) for name in RECORDED]
    values = [c.get_db_prep_value(getattr(reminder, c.name), connection) for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            _without_waiting_for_the_disk()
            + f"UPDATE {Reminder._meta.db_table} SET "  # noqa: S608 (no user input)
            + ", ".join(f"{name} = %s" for name in RECORDED)
            + " WHERE id = %s AND state = %s",
            [*values, reminder.pk, State.SENDING.value],
        )
