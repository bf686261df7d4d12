"""Reminders: what falls due and when, the outbox that records it, and its delivery.

Four steps, each safe to run twice at the same time:

1. `plan_reminders` runs in the transaction of every change to a treatment (a dose logged, edited,
   deleted or moved, stock received, the treatment stopped, the settings changed). It stores the
   next dose and the time of the next reminder on the treatment, cancels what no longer applies
   and queues a low-stock notice when the stock has just dropped to one dose or less.
2. `queue_due_reminders` (Celery beat, every minute) reads the treatments whose next reminder time
   has passed through an index, writes their outbox rows in bulk and moves the time on. The
   outbox's unique constraint is what makes a reminder happen once.
3. `dispatch_reminders` claims the due e-mail rows (row locks, skip locked) and, once the claim is
   committed, enqueues their ids; a claim left by a dead worker is taken again after a timeout.
4. `deliver_reminder` (the Celery task) locks one row, checks the reminder still stands, sends it
   and records the outcome. Transient mail errors are retried from the outbox with exponential
   backoff and jitter (not with Celery ETAs, which Redis redelivers after its visibility timeout),
   then the row is marked failed and the patient is told.

Only ids travel through the broker; logs carry ids and counts, never health data.
"""

from __future__ import annotations

import itertools
import logging
import random
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Max, Q, Sum
from django.urls import reverse
from django.utils import translation

from patients.emails import send_templated_email
from patients.models import (
    Channel,
    Kind,
    Reminder,
    ReminderSettings,
    State,
    Treatment,
    User,
)
from patients.timeutils import local_today
from patients.treatments import planned_dose

logger = logging.getLogger(__name__)

OVERDUE_REPEATS = 3  # the day after the planned date, then weekly: at most three
OVERDUE_EVERY = timedelta(weeks=1)
DOSE_KINDS = (Kind.UPCOMING_DOSE, Kind.OVERDUE_DOSE)
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
SCAN_BATCH = 5000
DISPATCH_BATCH = 1000
SEND_BATCH = 20  # reminders per Celery task; each one is still claimed and recorded on its own
OPEN_LINK_SALT = "patients.reminders.open"
OPEN_LINK_MAX_AGE = timedelta(days=60)


def settings_of(patient: User) -> ReminderSettings:
    """The patient's reminder settings, or the defaults (unsaved) when never changed."""
    try:
        return patient.reminder_settings
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(patient=patient)


def channels_of(prefs: ReminderSettings) -> list[str]:
    if prefs.paused:
        return []
    return [c for c, on in ((Channel.EMAIL, prefs.by_email), (Channel.IN_APP, prefs.in_app)) if on]


# --- When: pure functions of the plan, the settings and the zone ---------------------------------


@dataclass(frozen=True)
class Moment:
    kind: str
    occurrence: str
    at: datetime  # UTC


def local_moment(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `zone`, in UTC.

    On the spring-forward day an hour that does not exist (02:00 in Paris) is read with the
    offset before the change, so it lands one hour later (03:00); on the fall-back day an hour
    that happens twice is its first occurrence.
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def dose_moments(
    *, dose_number: int, dose_on: date, lead_days: Sequence[int], hour: int, zone: ZoneInfo
) -> list[Moment]:
    """The reminders of one planned dose, in time order."""
    moments = [
        Moment(
            Kind.UPCOMING_DOSE,
            f"dose-{dose_number}:lead-{lead}",
            local_moment(dose_on - timedelta(days=lead), hour, zone),
        )
        for lead in set(lead_days)
    ]
    moments += [
        Moment(
            Kind.OVERDUE_DOSE,
            f"dose-{dose_number}:late-{repeat}",
            local_moment(dose_on + timedelta(days=1) + (repeat - 1) * OVERDUE_EVERY, hour, zone),
        )
        for repeat in range(1, OVERDUE_REPEATS + 1)
    ]
    return sorted(moments, key=lambda m: m.at)


def latest_due(moments: Sequence[Moment], *, now: datetime) -> Moment | None:
    """The most recent moment that has passed: after a delay it supersedes the earlier ones."""
    return next((m for m in reversed(moments) if m.at <= now), None)


def next_moment(moments: Sequence[Moment], *, after: datetime) -> Moment | None:
    return next((m for m in moments if m.at > after), None)


def next_reminder_time(moments: Sequence[Moment], *, now: datetime, zone: ZoneInfo):
    """When the scan should next look at a treatment, just after a change.

    A moment earlier today still counts (the patient set things up after the hour, or moved the
    hour earlier), so today's reminder is not lost; older ones are not sent late.
    """
    due = latest_due(moments, now=now)
    if due is not None and due.at.astimezone(zone).date() == now.astimezone(zone).date():
        return due.at
    upcoming = next_moment(moments, after=now)
    return upcoming.at if upcoming else None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 1, 2, 4, 8… minutes (capped), each 50-100 % of it."""
    ceiling = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return ceiling * random.uniform(0.5, 1.0)


# --- 1. Planning, in the transaction of each change ----------------------------------------------


def plan_reminders(*, treatment: Treatment, now: datetime) -> None:
    """Bring one treatment's reminders up to date after a change; call inside its transaction."""
    pending = Reminder.objects.filter(treatment=treatment, state=State.PENDING)
    if treatment.stopped_on is not None:
        pending.update(state=State.CANCELLED)
        treatment.next_reminder_at = None
        treatment.save(update_fields=["next_reminder_at"])
        return
    prefs = settings_of(treatment.patient)
    zone = treatment.patient.zone
    live = treatment.injections.live()
    last_taken = live.aggregate(n=Max("dose_number"))["n"] or 0
    dose = planned_dose(treatment, last_taken + 1)
    treatment.next_dose_number, treatment.next_dose_on = dose.number, dose.date
    treatment.next_reminder_at = None
    if channels_of(prefs):
        moments = dose_moments(
            dose_number=dose.number,
            dose_on=dose.date,
            lead_days=prefs.lead_days,
            hour=prefs.hour,
            zone=zone,
        )
        treatment.next_reminder_at = next_reminder_time(moments, now=now, zone=zone)
        pending.filter(kind__in=DOSE_KINDS).exclude(dose_number=dose.number).update(
            state=State.CANCELLED
        )
        # Undoing a deletion (or a pause) the same day: today's e-mail was cancelled, and the
        # unique constraint would keep it from being written again, so it comes back instead.
        start_of_day = local_moment(now.astimezone(zone).date(), 0, zone)
        _revive(treatment, kind__in=DOSE_KINDS, dose_number=dose.number, due_at__gte=start_of_day)
    else:
        pending.filter(kind__in=DOSE_KINDS).update(state=State.CANCELLED)
    treatment.save(update_fields=["next_dose_number", "next_dose_on", "next_reminder_at"])

    received = treatment.stock_deliveries.aggregate(n=Sum("devices", default=0))["n"]
    left = received - (live.aggregate(n=Sum("devices_used", default=0))["n"]) if received else None
    low = left is not None and left <= dose.devices
    level = f"stock-{received}-{left}"  # once per stock level
    no_longer_true = pending.filter(kind=Kind.LOW_STOCK)
    if low:
        no_longer_true = no_longer_true.exclude(occurrence=level)
    no_longer_true.update(state=State.CANCELLED)
    if low:
        _create(
            [
                _row(treatment.patient_id, treatment.pk, Kind.LOW_STOCK, level, channel, now)
                for channel in channels_of(prefs)
            ],
            dose_number=dose.number,
            about_date=dose.date,
        )
        if Channel.EMAIL in channels_of(prefs):
            _revive(treatment, kind=Kind.LOW_STOCK, occurrence=level)


def _revive(treatment: Treatment, **lookup) -> None:
    """Cancelled e-mails that apply again go back to pending (they were never sent)."""
    Reminder.objects.filter(
        treatment=treatment, channel=Channel.EMAIL, state=State.CANCELLED, **lookup
    ).update(state=State.PENDING)


def plan_patient_reminders(*, patient: User, now: datetime) -> None:
    """After the patient changed their settings or home zone."""
    for treatment in Treatment.objects.for_patient(patient).active():
        plan_reminders(treatment=treatment, now=now)


def _row(patient_id, treatment_id, kind, occurrence, channel, now) -> Reminder:
    in_app = channel == Channel.IN_APP
    return Reminder(
        patient_id=patient_id,
        treatment_id=treatment_id,
        kind=kind,
        occurrence=occurrence,
        channel=channel,
        due_at=now,
        # An in-app notice is delivered by existing: it shows in the list at once.
        state=State.SENT if in_app else State.PENDING,
        sent_at=now if in_app else None,
    )


def _create(rows: list[Reminder], **fields) -> None:
    for row in rows:
        for name, value in fields.items():
            setattr(row, name, value)
    # A conflict means this reminder already exists (sent, pending or cancelled): once is enough.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


# --- 2. The scan ---------------------------------------------------------------------------------

SCAN_FIELDS = (
    "pk",
    "patient_id",
    "next_dose_number",
    "next_dose_on",
    "patient__time_zone",
    "patient__reminder_settings__lead_days",
    "patient__reminder_settings__hour",
    "patient__reminder_settings__by_email",
    "patient__reminder_settings__in_app",
    "patient__reminder_settings__paused",
)


def queue_due_reminders(*, now: datetime, batch_size: int = SCAN_BATCH) -> int:
    """Write the outbox rows of every treatment whose next reminder has fallen due.

    Set-based: one indexed select and one bulk insert per batch, so the time follows the number
    of due treatments, not the total. Returns the number of treatments handled.
    """
    handled = 0
    defaults = ReminderSettings()
    zones: dict[str, ZoneInfo] = {}
    while True:
        with transaction.atomic():
            due = list(
                Treatment.objects.filter(next_reminder_at__lte=now)
                .order_by("next_reminder_at")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list(*SCAN_FIELDS)[:batch_size]
            )
            rows: list[Reminder] = []
            moves: list[tuple[int, datetime | None]] = []
            for pk, patient_id, number, dose_on, zone_name, *prefs in due:
                lead_days, hour, by_email, in_app, paused = (
                    prefs
                    if prefs[0] is not None
                    else (
                        defaults.lead_days,
                        defaults.hour,
                        defaults.by_email,
                        defaults.in_app,
                        defaults.paused,
                    )
                )
                zone = zones.get(zone_name) or zones.setdefault(zone_name, ZoneInfo(zone_name))
                moments = dose_moments(
                    dose_number=number, dose_on=dose_on, lead_days=lead_days, hour=hour, zone=zone
                )
                moment = latest_due(moments, now=now)
                channels = [
                    channel
                    for channel, on in ((Channel.EMAIL, by_email), (Channel.IN_APP, in_app))
                    if on and not paused
                ]
                for channel in channels if moment else ():
                    row = _row(patient_id, pk, moment.kind, moment.occurrence, channel, now)
                    row.due_at, row.dose_number, row.about_date = moment.at, number, dose_on
                    rows.append(row)
                following = next_moment(moments, after=now) if channels else None
                moves.append((pk, following.at if following else None))
            _create(rows)
            _move_next_reminders(moves)
        handled += len(due)
        if len(due) < batch_size:
            break
    if handled:
        logger.info("reminder scan: %d treatments handled", handled)
    return handled


def _move_next_reminders(moves: list[tuple[int, datetime | None]]) -> None:
    """Set each treatment's next reminder time in one statement (per-row saves are 50x slower)."""
    if not moves:
        return
    if connection.vendor == "postgresql":
        table = Treatment._meta.db_table
        values = ", ".join(["(%s, %s::timestamptz)"] * len(moves))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET next_reminder_at = v.at "  # noqa: S608 (no user input)
                f"FROM (VALUES {values}) AS v(id, at) WHERE t.id = v.id",
                list(itertools.chain.from_iterable(moves)),
            )
        return
    # Elsewhere (SQLite), one UPDATE per distinct time: reminders cluster on a few hours.
    by_time: dict[datetime | None, list[int]] = {}
    for pk, at in moves:
        by_time.setdefault(at, []).append(pk)
    for at, pks in by_time.items():
        Treatment.objects.filter(pk__in=pks).update(next_reminder_at=at)


# --- 3. Dispatch ---------------------------------------------------------------------------------


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
    from patients.tasks import send_reminders

    send_reminders.apply_async((ids,), queue=settings.REMINDERS_QUEUE)


# --- 4. Delivery ---------------------------------------------------------------------------------


def _dose_still_due(reminder: Reminder, today: date) -> bool:
    treatment = reminder.treatment
    return treatment.stopped_on is None and treatment.next_dose_number == reminder.dose_number


def _upcoming_still_ahead(reminder: Reminder, today: date) -> bool:
    # Sent late (after retries), "your dose is in 2 days" would be wrong: the overdue one follows.
    return _dose_still_due(reminder, today) and reminder.about_date >= today


def _treatment_active(reminder: Reminder, today: date) -> bool:
    return reminder.treatment.stopped_on is None


def _dose_context(reminder: Reminder) -> dict:
    return {"devices": planned_dose(reminder.treatment, reminder.dose_number).devices}


def _stock_context(reminder: Reminder) -> dict:
    treatment = reminder.treatment
    received = treatment.stock_deliveries.aggregate(n=Sum("devices", default=0))["n"]
    used = treatment.injections.live().aggregate(n=Sum("devices_used", default=0))["n"]
    return {**_dose_context(reminder), "devices_left": max(received - used, 0)}


@dataclass(frozen=True)
class KindSpec:
    """What delivery needs to know about a kind. A new kind is one entry here and its e-mail
    templates, plus whatever writes its outbox rows."""

    template: str  # emails/<template>_subject.txt, _body.txt, _body.html
    still_stands: Callable[[Reminder, date], bool]
    context: Callable[[Reminder], dict]


KINDS: dict[str, KindSpec] = {
    Kind.UPCOMING_DOSE: KindSpec("upcoming_dose", _upcoming_still_ahead, _dose_context),
    Kind.OVERDUE_DOSE: KindSpec("overdue_dose", _dose_still_due, _dose_context),
    Kind.LOW_STOCK: KindSpec("low_stock", _treatment_active, _stock_context),
}


def open_link(reminder: Reminder) -> str:
    """An absolute, signed link that opens the logging form for this reminder's dose."""
    token = signing.dumps(reminder.pk, salt=OPEN_LINK_SALT)
    return settings.SITE_URL + reverse("patients:open_reminder", args=[token])


def reminder_from_link(token: str) -> int | None:
    try:
        return signing.loads(token, salt=OPEN_LINK_SALT, max_age=OPEN_LINK_MAX_AGE.total_seconds())
    except signing.BadSignature:
        return None


def email_context(reminder: Reminder, *, today: date) -> dict:
    about = reminder.about_date
    return {
        "reminder": reminder,
        "patient": reminder.patient,
        "drug": reminder.treatment.drug,
        "days_until": (about - today).days if about else None,
        "days_late": (today - about).days if about else None,
        "open_url": open_link(reminder),
        "settings_url": settings.SITE_URL + reverse("patients:reminder_settings"),
        **KINDS[reminder.kind].context(reminder),
    }


PERMANENT_SMTP_CODES = range(500, 600)


def is_transient(error: Exception) -> bool:
    """A 4xx reply or a network error may pass; a 5xx reply will not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return not all(code in PERMANENT_SMTP_CODES for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code not in PERMANENT_SMTP_CODES
    return isinstance(error, OSError)  # SMTPException, refused connections, timeouts


def describe(error: Exception) -> str:
    code = getattr(error, "smtp_code", "")
    return f"{type(error).__name__} {code}".strip()[:200]


def deliver_reminder(*, reminder_id: int, now: datetime) -> str:
    """Send one claimed e-mail reminder, at most once; returns what happened."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__reminder_settings", "treatment__drug", "treatment__regimen")
            .filter(pk=reminder_id, state=State.SENDING)
            .first()
        )
        if reminder is None:
            return "skipped"  # already done, or another worker holds it right now
        patient = reminder.patient
        spec = KINDS[reminder.kind]
        today = local_today(patient.zone)
        wanted = Channel.EMAIL in channels_of(settings_of(patient))
        if not wanted or not spec.still_stands(reminder, today):
            reminder.state = State.CANCELLED
            reminder.save(update_fields=["state", "updated_at"])
            return "cancelled"
        try:
            with translation.override(patient.language):
                send_templated_email(
                    to=patient.email,
                    name=spec.template,
                    context=email_context(reminder, today=today),
                )
        except Exception as error:
            if not isinstance(error, OSError):
                raise  # a bug, not the mail server: the claim times out and is retried
            reminder.last_error = describe(error)
            if is_transient(error) and reminder.attempts < MAX_ATTEMPTS:
                reminder.state = State.PENDING
                reminder.due_at = now + backoff(reminder.attempts)
            else:
                reminder.state = State.FAILED
            reminder.save(update_fields=["state", "due_at", "last_error", "updated_at"])
            logger.warning(
                "reminder %d: %s (attempt %d)", reminder.pk, reminder.last_error, reminder.attempts
            )
            return reminder.state
        reminder.state, reminder.sent_at = State.SENT, now
        reminder.save(update_fields=["state", "sent_at", "updated_at"])
        return "sent"
