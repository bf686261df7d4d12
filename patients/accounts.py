"""Accounts: the changes of a profile or of the reminder settings, each planning the
reminders again when they follow what changed. Signing up: patients/signup.py."""

from datetime import datetime

from django.db import transaction

from patients.models import ReminderSettings, User
from patients.reminders.registry import plan_patient_reminders


@transaction.atomic
def update_profile(*, user: User, changed: list[str], now: datetime) -> User:
    user.save()
    if "time_zone" in changed:  # reminders follow the home zone
        plan_patient_reminders(patient=user, now=now)
    return user


@transaction.atomic
def update_reminder_settings(*, prefs: ReminderSettings, now: datetime) -> ReminderSettings:
    prefs.save()
    plan_patient_reminders(patient=prefs.patient, now=now)
    return prefs
