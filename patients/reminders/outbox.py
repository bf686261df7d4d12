"""The outbox: one `Reminder` row per reminder that falls due, written once, by every feature.

A feature writes its rows with `outbox_row` + `create_rows`; the unique constraint on the row
(patient, kind, occurrence, channel, subject) is what makes a reminder happen once.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from patients.models import Reminder, ReminderSettings, State, User
from patients.reminders.channels import CHANNELS

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


def settings_of(patient: User) -> ReminderSettings:
    """The patient's reminder settings, or the defaults (unsaved) when never changed."""
    try:
        return patient.reminder_settings
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(patient=patient)


def channels_of(prefs: ReminderSettings) -> list[str]:
    if prefs.paused:
        return []
    return [code for code, channel in CHANNELS.items() if channel.wanted(prefs)]


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 1, 2, 4, 8… minutes (capped), each 50-100 % of it."""
    ceiling = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return ceiling * random.uniform(0.5, 1.0)


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
    done = CHANNELS[channel].delivered_on_write
    return Reminder(
        patient_id=patient_id,
        kind=kind,
        occurrence=occurrence,
        channel=channel,
        due_at=due_at or now,
        # An in-app notice is delivered by existing: it shows in the list at once.
        state=State.SENT if done else State.PENDING,
        sent_at=now if done else None,
        **subject,
    )


def create_rows(rows: list[Reminder]) -> None:
    # A conflict means this reminder already exists (sent, pending or cancelled): once is enough.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
