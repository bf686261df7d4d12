"""Accounts: signing up as a patient or a clinician, and the changes of a profile or of the
reminder settings, each planning the reminders again when they follow what changed."""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from patients.models import ClinicianProfile, ReminderSettings, Role, User
from patients.reminders.registry import plan_patient_reminders


@transaction.atomic
def sign_up_patient(*, user: User, language: str, now: datetime) -> User:
    """`user` comes unsaved from the sign-up form (its password set); the patient consents to
    the processing of health data by signing up, under the current privacy notice."""
    user.role = Role.PATIENT
    user.language = language
    user.health_data_consent_at = now
    user.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    user.save()
    return user


@transaction.atomic
def sign_up_clinician(*, user: User, profile: dict, language: str) -> User:
    """The account and its profile, which waits for an administrator's review."""
    user.role = Role.CLINICIAN
    user.language = language
    user.save()
    ClinicianProfile.objects.create(user=user, **profile)
    return user


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
