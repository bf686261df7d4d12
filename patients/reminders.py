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

import contextlib
import functools
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
from django.core import mail, signing
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Max, Q, Value, When
from django.db.models.functions import Cast, Concat
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
from patients.treatments import is_low_stock, planned_dose, stock_of
from therapies import dosing

logger = logging.getLogger(__name__)

OVERDUE_REPEATS = 3  # the day after the planned date, then weekly: at most three
OVERDUE_EVERY = timedelta(weeks=1)
MOVED_MARK = "~"  # in an occurrence: about a date the dose has since been moved from
DOSE_KINDS = (Kind.UPCOMING_DOSE, Kind.OVERDUE_DOSE)
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
SCAN_BATCH = 10_000
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
    return [
        Moment(kind, f"dose-{dose_number}:{name}", at)
        for kind, name, at in _moment_times(dose_on, tuple(sorted(set(lead_days))), hour, zone)
    ]


@functools.lru_cache(maxsize=4096)
def _moment_times(
    dose_on: date, lead_days: tuple[int, ...], hour: int, zone: ZoneInfo
) -> tuple[tuple[str, str, datetime], ...]:
    # Cached: in a scan, thousands of treatments share a dose date, an hour and a zone.
    moments = [
        (
            Kind.UPCOMING_DOSE,
            f"lead-{lead}",
            local_moment(dose_on - timedelta(days=lead), hour, zone),
        )
        for lead in lead_days
    ]
    moments += [
        (
            Kind.OVERDUE_DOSE,
            f"late-{repeat}",
            local_moment(dose_on + timedelta(days=1) + (repeat - 1) * OVERDUE_EVERY, hour, zone),
        )
        for repeat in range(1, OVERDUE_REPEATS + 1)
    ]
    return tuple(sorted(moments, key=lambda m: m[2]))


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
    last_taken = treatment.injections.live().aggregate(n=Max("dose_number"))["n"] or 0
    dose = planned_dose(treatment, last_taken + 1)
    treatment.next_dose_number, treatment.next_dose_on = dose.number, dose.date
    treatment.next_reminder_at = None
    _retire_moved(treatment, dose)
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
        _revive(
            treatment,
            kind__in=DOSE_KINDS,
            dose_number=dose.number,
            about_date=dose.date,
            due_at__gte=start_of_day,
        )
    else:
        pending.filter(kind__in=DOSE_KINDS).update(state=State.CANCELLED)
    treatment.save(update_fields=["next_dose_number", "next_dose_on", "next_reminder_at"])

    received, left = stock_of(treatment)
    low = is_low_stock(left, dose.devices)
    level = f"stock-{received}-{left}"  # once per stock level
    no_longer_true = pending.filter(kind=Kind.LOW_STOCK)
    if low:
        no_longer_true = no_longer_true.exclude(occurrence=level)
    no_longer_true.update(state=State.CANCELLED)
    if low:
        create_rows(
            [
                _row(treatment, Kind.LOW_STOCK, level, channel, now, dose=dose.number, on=dose.date)
                for channel in channels_of(prefs)
            ]
        )
        _revive(treatment, kind=Kind.LOW_STOCK, occurrence=level)


def _retire_moved(treatment: Treatment, dose: dosing.PlannedDose) -> None:
    """A moved dose (an override): what was written about its old date no longer holds.

    Pending rows are cancelled, and every row takes the old date into its occurrence
    ("dose-2:lead-2~2027-02-01"): the outbox keys a reminder by dose and moment, so the old rows
    would otherwise keep the new date's reminders from ever being written.
    """
    Reminder.objects.filter(
        treatment=treatment, kind__in=DOSE_KINDS, dose_number=dose.number
    ).exclude(about_date=dose.date).exclude(occurrence__contains=MOVED_MARK).update(
        state=Case(When(state=State.PENDING, then=Value(State.CANCELLED)), default=F("state")),
        occurrence=Concat(
            "occurrence", Value(MOVED_MARK), Cast("about_date", output_field=CharField())
        ),
    )


def _revive(treatment: Treatment, **lookup) -> None:
    """Cancelled e-mails that apply again go back to pending (they were never sent)."""
    Reminder.objects.filter(
        treatment=treatment, channel=Channel.EMAIL, state=State.CANCELLED, **lookup
    ).update(state=State.PENDING)


def plan_patient_reminders(*, patient: User, now: datetime) -> None:
    """After the patient changed their settings or home zone."""
    from patients.checklists import plan_checklist_reminder  # checklists build on this module

    for treatment in Treatment.objects.for_patient(patient).active():
        plan_reminders(treatment=treatment, now=now)
    for checklist in patient.checklists.filter(shared_at__isnull=False):
        plan_checklist_reminder(checklist=checklist, now=now)
    from patients.travel import plan_trip_reminder  # trips build on this module too

    for trip in patient.trips.filter(departs_on__gte=now.astimezone(patient.zone).date()):
        plan_trip_reminder(trip=trip, now=now)


def _row(
    treatment: Treatment | int,
    kind: str,
    occurrence: str,
    channel: str,
    now: datetime,
    *,
    dose: int,
    on: date,
    due_at: datetime | None = None,
    patient_id: int | None = None,
) -> Reminder:
    """An outbox row about dose `dose` (planned `on`); `treatment` may be just its id."""
    return outbox_row(
        patient_id=patient_id or treatment.patient_id,
        kind=kind,
        occurrence=occurrence,
        channel=channel,
        now=now,
        due_at=due_at,
        treatment_id=getattr(treatment, "pk", treatment),
        dose_number=dose,
        about_date=on,
    )


def outbox_row(
    *,
    patient_id: int,
    kind: str,
    occurrence: str,
    channel: str,
    now: datetime,
    due_at: datetime | None = None,
    **subject,
) -> Reminder:
    """One outbox row; `subject` names what it is about (treatment_id, checklist, …)."""
    in_app = channel == Channel.IN_APP
    return Reminder(
        patient_id=patient_id,
        kind=kind,
        occurrence=occurrence,
        channel=channel,
        due_at=due_at or now,
        # An in-app notice is delivered by existing: it shows in the list at once.
        state=State.SENT if in_app else State.PENDING,
        sent_at=now if in_app else None,
        **subject,
    )


def create_rows(rows: list[Reminder]) -> None:
    # A conflict means this reminder already exists (sent, pending or cancelled): once is enough.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


# --- 2. The scan ---------------------------------------------------------------------------------

SCAN_FIELDS = (
    "pk",
    "next_reminder_at",
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
                .values_list(*SCAN_FIELDS)[:batch_size]
            )
            rows: list[tuple] = []
            moves: list[tuple[int, datetime, datetime | None]] = []
            for pk, seen_at, patient_id, number, dose_on, zone_name, *prefs in due:
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
                    rows.append(
                        (patient_id, pk, number, dose_on)
                        + (moment.kind, moment.occurrence, channel, moment.at)
                    )
                following = next_moment(moments, after=now) if channels else None
                moves.append((pk, seen_at, following.at if following else None))
            _insert_scanned(rows, now=now)
            _move_next_reminders(moves)
        handled += len(due)
        if len(due) < batch_size:
            break
    if handled:
        logger.info("reminder scan: %d treatments handled", handled)
    return handled


def _pg_array(values, kind: str) -> tuple[str, str]:
    """SQL and parameter for a PostgreSQL array of `values` sent as one comma-joined string.

    Adapting Python lists element by element cost ~100 ms per 10,000 reminders, more than the
    rest of the scan's Python; the server splits a string much faster. None becomes NULL. The
    values here are ids, dates, ISO times and fixed codes: none contains a comma.
    """
    text = ",".join(
        "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in values
    )
    return f"string_to_array(%s, ',', '')::{kind}[]", text


SCANNED_COLUMNS = (
    "patient_id",
    "treatment_id",
    "dose_number",
    "about_date",
    "kind",
    "occurrence",
    "channel",
    "due_at",
)


def _insert_scanned(rows: list[tuple], *, now: datetime) -> None:
    """Write the scan's outbox rows; a conflict means the reminder already exists."""
    if not rows:
        return
    if connection.vendor != "postgresql":  # SQLite, for development: model objects will do
        create_rows(
            [
                _row(
                    treatment_id,
                    kind,
                    occurrence,
                    channel,
                    now,
                    dose=number,
                    on=dose_on,
                    due_at=at,
                    patient_id=patient_id,
                )
                for patient_id, treatment_id, number, dose_on, kind, occurrence, channel, at in rows
            ]
        )
        return
    # PostgreSQL: one INSERT … SELECT FROM unnest(arrays), without building a model per row
    # (half the scan's time went into Django objects and its VALUES list).
    types = ("bigint", "bigint", "integer", "date", "text", "text", "text", "timestamptz")
    columns = zip(*rows, strict=True)
    pieces = [_pg_array(column, kind) for column, kind in zip(columns, types, strict=True)]
    arrays = [array for array, _text in pieces]
    params = [text for _array, text in pieces]
    names = ", ".join(SCANNED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Reminder._meta.db_table} ({names}, state, sent_at, attempts, "  # noqa: S608
            f"last_error, created_at, updated_at) "
            f"SELECT u.*, CASE WHEN u.channel = %s THEN %s ELSE %s END, "
            f"CASE WHEN u.channel = %s THEN %s::timestamptz END, 0, '', %s, %s "
            f"FROM unnest({', '.join(arrays)}) AS u({names}) ON CONFLICT DO NOTHING",
            [Channel.IN_APP.value, State.SENT.value, State.PENDING.value]
            + [Channel.IN_APP.value, now, now, now, *params],
        )


def _move_next_reminders(moves: list[tuple[int, datetime, datetime | None]]) -> None:
    """Move each treatment's next reminder time on, in one statement (per-row saves are 50x
    slower), unless a change planned it again meanwhile: `plan_reminders` has the last word.

    No row locks: two scans at once write the same rows (the unique constraint keeps one) and
    the same times; a dose logged in between is caught when the e-mail is delivered.
    """
    if not moves:
        return
    if connection.vendor == "postgresql":
        table = Treatment._meta.db_table
        ids, seen, times = zip(*moves, strict=True)
        pieces = [
            _pg_array(ids, "bigint"),
            _pg_array(seen, "timestamptz"),
            _pg_array(times, "timestamptz"),
        ]
        arrays = [array for array, _text in pieces]
        params = [text for _array, text in pieces]
        with connection.cursor() as cursor:
            # For a few thousand rows the planner would hash-join over the whole table; each
            # row is one primary-key lookup, so say so for this statement only.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute(
                f"UPDATE {table} AS t SET next_reminder_at = v.at "  # noqa: S608 (no user input)
                f"FROM unnest({', '.join(arrays)}) AS v(id, seen, at) "
                f"WHERE t.id = v.id AND t.next_reminder_at = v.seen",
                params,
            )
            cursor.execute("SET LOCAL enable_hashjoin = on")
            cursor.execute("SET LOCAL enable_mergejoin = on")
        return
    # Elsewhere (SQLite), one UPDATE per distinct pair of times: reminders cluster on a few hours.
    by_time: dict[tuple[datetime, datetime | None], list[int]] = {}
    for pk, seen_at, at in moves:
        by_time.setdefault((seen_at, at), []).append(pk)
    for (seen_at, at), pks in by_time.items():
        Treatment.objects.filter(pk__in=pks, next_reminder_at=seen_at).update(next_reminder_at=at)


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
    return (
        treatment.stopped_on is None
        and treatment.next_dose_number == reminder.dose_number
        and treatment.next_dose_on == reminder.about_date  # not since moved to another day
    )


def _upcoming_still_ahead(reminder: Reminder, today: date) -> bool:
    # Sent late (after retries), "your dose is in 2 days" would be wrong: the overdue one follows.
    return _dose_still_due(reminder, today) and reminder.about_date >= today


def _treatment_active(reminder: Reminder, today: date) -> bool:
    return reminder.treatment.stopped_on is None


def _dose_context(reminder: Reminder) -> dict:
    spec = reminder.treatment.regimen.spec()
    return {"devices": dosing.devices_of_dose(spec, reminder.dose_number)}


def _stock_context(reminder: Reminder) -> dict:
    _received, left = stock_of(reminder.treatment)
    return {**_dose_context(reminder), "devices_left": max(left or 0, 0)}


def _checklist_shared(reminder: Reminder, today: date) -> bool:
    return reminder.checklist.shared_at is not None


def _open_patient_items(reminder: Reminder):
    return reminder.checklist.items.filter(completed_by="patient", done_at__isnull=True)


def _checklist_still_open(reminder: Reminder, today: date) -> bool:
    return _open_patient_items(reminder).exists()


def _checklist_context(reminder: Reminder) -> dict:
    return {"checklist": reminder.checklist, "open_items": _open_patient_items(reminder).count()}


def _trip_still_ahead(reminder: Reminder, today: date) -> bool:
    # A trip moved to other dates has its own reminders; one sent after departure is too late.
    return reminder.trip.departs_on == reminder.about_date and reminder.about_date >= today


def _trip_context(reminder: Reminder) -> dict:
    return {"trip": reminder.trip}


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
    Kind.CHECKLIST_SHARED: KindSpec("checklist_shared", _checklist_shared, _checklist_context),
    Kind.CHECKLIST_OPEN: KindSpec("checklist_open", _checklist_still_open, _checklist_context),
    Kind.TRIP_SOON: KindSpec("trip_soon", _trip_still_ahead, _trip_context),
}


# --- The journal's monthly prompt (issue 20): its rules live in patients.journal.prompts, which
# builds on this module, hence the imports at call time.
def _journal_prompt_stands(reminder: Reminder, today: date) -> bool:
    from patients.journal.prompts import prompt_still_stands

    return prompt_still_stands(reminder, today)


def _journal_prompt_context(reminder: Reminder) -> dict:
    from patients.journal.prompts import prompt_context

    return prompt_context(reminder)


KINDS[Kind.JOURNAL_PROMPT] = KindSpec(
    "journal_prompt", _journal_prompt_stands, _journal_prompt_context
)


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
        "drug": getattr(reminder.treatment or reminder.checklist, "drug", None),
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


def deliver_reminders(*, reminder_ids: Sequence[int], now: datetime) -> list[str]:
    """Send claimed e-mail reminders, each at most once; returns what happened to each.

    The batch is held (see `_held`), then read in one query, after the hold so that the states
    are fresh; each reminder is then sent and its outcome written by one statement that commits
    on its own, so a worker that dies mid-batch leaves every reminder sent or still claimed.
    """
    mailer = mail.mailers.default
    with contextlib.suppress(OSError):  # if it fails, each send tries and records its error
        mailer.open()  # one SMTP session for the batch, not one per e-mail
    try:
        with _held(reminder_ids) as held:
            batch = (
                Reminder.objects.filter(state=State.SENDING)
                .select_related(
                    "patient__reminder_settings",
                    "treatment__drug",
                    "treatment__regimen",
                    "checklist__drug",
                    "trip",
                )
                .in_bulk(held)
            )
            return [_deliver(batch.get(pk), now=now, mailer=mailer) for pk in reminder_ids]
    finally:
        mailer.close()


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


def _deliver(reminder: Reminder | None, *, now: datetime, mailer) -> str:
    if reminder is None:
        return "skipped"  # already done, or another worker holds it right now
    patient = reminder.patient
    spec = KINDS[reminder.kind]
    today = local_today(patient.zone)
    wanted = Channel.EMAIL in channels_of(settings_of(patient))
    if not wanted or not spec.still_stands(reminder, today):
        _record(reminder, now, state=State.CANCELLED)
        return State.CANCELLED
    try:
        with translation.override(patient.language):
            send_templated_email(
                to=patient.email,
                name=spec.template,
                context=email_context(reminder, today=today),
                mailer=mailer,
            )
    except OSError as error:  # anything else is a bug: the claim times out and is retried
        error_text = describe(error)
        if is_transient(error) and reminder.attempts < MAX_ATTEMPTS:
            retry_at = now + backoff(reminder.attempts)
            _record(reminder, now, state=State.PENDING, due_at=retry_at, last_error=error_text)
        else:
            _record(reminder, now, state=State.FAILED, last_error=error_text)
        logger.warning("reminder %d: %s (attempt %d)", reminder.pk, error_text, reminder.attempts)
        return reminder.state
    _record(reminder, now, state=State.SENT, sent_at=now)
    return State.SENT


RECORDED = ("state", "sent_at", "due_at", "last_error", "updated_at")


def _record(reminder: Reminder, now: datetime, **fields) -> None:
    """Write the outcome, committed at once (plain SQL: this runs once per e-mail, and the
    queryset cost more Python than the statement)."""
    for name, value in {**fields, "updated_at": now}.items():
        setattr(reminder, name, value)
    columns = [Reminder._meta.get_field(name) for name in RECORDED]
    values = [c.get_db_prep_value(getattr(reminder, c.name), connection) for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Reminder._meta.db_table} SET "  # noqa: S608 (no user input)
            + ", ".join(f"{name} = %s" for name in RECORDED)
            + " WHERE id = %s AND state = %s",
            [*values, reminder.pk, State.SENDING.value],
        )
