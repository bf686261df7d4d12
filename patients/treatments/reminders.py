"""A treatment's reminders: planned in the transaction of each change to the treatment (the next
dose, the time of its next reminder, a low-stock notice), and the rules of the dose kinds, which
this feature registers with the outbox's delivery engine."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Case, CharField, F, Max, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from patients.models import Channel, Kind, Reminder, State, Treatment, User
from patients.reminders.outbox import channels_of, create_rows, settings_of
from patients.reminders.planning import DOSE_KINDS, dose_moments, dose_row, next_reminder_time
from patients.reminders.registry import register_kind, register_patient_planner
from patients.timeutils import local_moment
from patients.treatments.reads import (
    expiry_warnings_of,
    is_low_stock,
    planned_dose,
    stock_of,
)
from therapies import dosing

MOVED_MARK = "~"  # in an occurrence: about a date the dose has since been moved from


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
            ready=get_ready_of(treatment, prefs),
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

    today = now.astimezone(zone).date()
    received, left = stock_of(treatment, today=today)
    low = is_low_stock(left, dose.devices)
    level = f"stock-{received}-{left}"  # once per stock level
    no_longer_true = pending.filter(kind=Kind.LOW_STOCK)
    if low:
        no_longer_true = no_longer_true.exclude(occurrence=level)
    no_longer_true.update(state=State.CANCELLED)
    if low:
        create_rows(
            [
                dose_row(
                    treatment, Kind.LOW_STOCK, level, channel, now, dose=dose.number, on=dose.date
                )
                for channel in channels_of(prefs)
            ]
        )
        _revive(treatment, kind=Kind.LOW_STOCK, occurrence=level)
    _plan_expiry_notices(treatment, prefs=prefs, now=now, today=today)


def get_ready_of(treatment: Treatment, prefs) -> tuple[time, int] | None:
    """(usual injection time, the label's minutes) when a "get ready" reminder applies."""
    presentation = treatment.drug.warm_up_presentation(treatment.presentation_key)
    if prefs.injection_time is None or presentation is None:
        return None
    return prefs.injection_time, presentation.warm_up_minutes


def _plan_expiry_notices(treatment: Treatment, *, prefs, now: datetime, today: date) -> None:
    """One notice per pack that has expired with devices left, or that would be used for a
    dose planned after its expiry date (issue 22); pending notices no longer true are
    cancelled."""
    warnings = expiry_warnings_of(treatment, today=today)
    current = [w.occurrence for w in warnings]
    Reminder.objects.filter(
        treatment=treatment, state=State.PENDING, kind=Kind.PACK_EXPIRY
    ).exclude(occurrence__in=current).update(state=State.CANCELLED)
    if not warnings:
        return
    create_rows(
        [
            dose_row(
                treatment,
                Kind.PACK_EXPIRY,
                warning.occurrence,
                channel,
                now,
                dose=warning.dose.number if warning.dose else treatment.next_dose_number,
                on=warning.pack.expires_on,
            )
            for warning in warnings
            for channel in channels_of(prefs)
        ]
    )
    _revive(treatment, kind=Kind.PACK_EXPIRY, occurrence__in=current)


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
        treatment=treatment,
        channel__in=[Channel.EMAIL, Channel.PUSH],
        state=State.CANCELLED,
        **lookup,
    ).update(state=State.PENDING)


@register_patient_planner
def plan_treatment_reminders(*, patient: User, now: datetime) -> None:
    for treatment in Treatment.objects.for_patient(patient).active():
        plan_reminders(treatment=treatment, now=now)


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
    spec = reminder.treatment.dose_spec()
    return {
        "drug": reminder.treatment.drug,
        "devices": dosing.devices_of_dose(spec, reminder.dose_number),
    }


def _stock_context(reminder: Reminder) -> dict:
    today = timezone.now().astimezone(reminder.treatment.patient.zone).date()
    _received, left = stock_of(reminder.treatment, today=today)
    return {**_dose_context(reminder), "devices_left": max(left or 0, 0)}


def _expiry_warning(reminder: Reminder, today: date):
    for warning in expiry_warnings_of(reminder.treatment, today=today):
        if warning.occurrence == reminder.occurrence:
            return warning
    return None


def _pack_expiry_stands(reminder: Reminder, today: date) -> bool:
    return _treatment_active(reminder, today) and _expiry_warning(reminder, today) is not None


def _pack_expiry_context(reminder: Reminder) -> dict:
    today = timezone.now().astimezone(reminder.treatment.patient.zone).date()
    warning = _expiry_warning(reminder, today)
    return {
        "drug": reminder.treatment.drug,
        "pack": warning.pack if warning else None,
        "dose": warning.dose if warning else None,
        "expired": warning is not None and warning.dose is None,
    }


def _get_ready_stands(reminder: Reminder, today: date) -> bool:
    """Only on the dose day, before the usual injection time, while the dose is still to log,
    the time is still set, the label still gives minutes and (by e-mail) the patient still
    wants it by e-mail."""
    if not _dose_still_due(reminder, today) or reminder.about_date != today:
        return False
    prefs = settings_of(reminder.patient)
    ready = get_ready_of(reminder.treatment, prefs)
    if ready is None or (reminder.channel == Channel.EMAIL and not prefs.get_ready_by_email):
        return False
    zone = reminder.patient.zone
    injection = datetime.combine(today, ready[0], tzinfo=zone)
    return timezone.now() < injection


def _get_ready_context(reminder: Reminder) -> dict:
    treatment = reminder.treatment
    presentation = treatment.drug.warm_up_presentation(treatment.presentation_key)
    return {
        **_dose_context(reminder),
        "device_kind": presentation.kind if presentation else "",
        "minutes": presentation.warm_up_minutes if presentation else None,
        "up_to": presentation.warm_up_up_to if presentation else None,
        "label_source": presentation.warm_up_source if presentation else "",
        "injection_time": settings_of(reminder.patient).injection_time,
    }


# The treatment is joined to each reminder; its drug and regimen are shared by many (catalogue).
DOSE_ROWS = {"related": ("treatment",), "shared": ("treatment__drug", "treatment__regimen")}
register_kind(
    Kind.UPCOMING_DOSE,
    template="upcoming_dose",
    still_stands=_upcoming_still_ahead,
    context=_dose_context,
    **DOSE_ROWS,
)
register_kind(
    Kind.OVERDUE_DOSE,
    template="overdue_dose",
    still_stands=_dose_still_due,
    context=_dose_context,
    **DOSE_ROWS,
)
register_kind(
    Kind.LOW_STOCK,
    template="low_stock",
    still_stands=_treatment_active,
    context=_stock_context,
    **DOSE_ROWS,
)
register_kind(
    Kind.PACK_EXPIRY,
    template="pack_expiry",
    still_stands=_pack_expiry_stands,
    context=_pack_expiry_context,
    **DOSE_ROWS,
)
register_kind(
    Kind.GET_READY,
    template="get_ready",
    still_stands=_get_ready_stands,
    context=_get_ready_context,
    **DOSE_ROWS,
)
