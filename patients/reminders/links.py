"""The signed link in a reminder e-mail that opens the logging form for its dose."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from patients.models import Reminder

OPEN_LINK_SALT = "patients.reminders.open"
OPEN_LINK_MAX_AGE = timedelta(days=60)


def open_link(reminder: Reminder) -> str:
    """An absolute, signed link that opens the logging form for this reminder's dose."""
    token = signing.dumps(reminder.pk, salt=OPEN_LINK_SALT)
    return settings.SITE_URL + reverse("patients:open_reminder", args=[token])


def reminder_from_link(token: str) -> int | None:
    try:
        return signing.loads(token, salt=OPEN_LINK_SALT, max_age=OPEN_LINK_MAX_AGE.total_seconds())
    except signing.BadSignature:
        return None
