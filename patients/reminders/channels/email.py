"""E-mail reminders, sent over one SMTP session per batch."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Iterator
from email.utils import parseaddr

from django.conf import settings
from django.core import mail
from django.utils.crypto import salted_hmac

from patients.emails import send_templated_email
from patients.models import Channel, Reminder
from patients.reminders.channels.base import ReminderChannel

PERMANENT_SMTP_CODES = range(500, 600)


def message_id_of(reminder: Reminder) -> str:
    """One Message-ID per reminder, the same at every attempt (issue 17, item 6): a worker that
    dies after the mail server took the message but before the outcome was written sends it
    again on the retry, and the receiving server or mail app can see the two as one message.
    Opaque (an HMAC of the row's id under SECRET_KEY): it tells nothing of how many reminders
    the service sends."""
    digest = salted_hmac(
        "patients.reminders.message-id", str(reminder.pk), algorithm="sha1"
    ).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<reminder.{digest}@{domain}>"


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


class EmailChannel(ReminderChannel):
    code = Channel.EMAIL
    setting = "by_email"
    # Anything else is a bug: the claim times out and is retried.
    errors = (OSError,)

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        mailer = mail.mailers.default
        with contextlib.suppress(OSError):  # if it fails, each send tries and records its error
            mailer.open()  # one SMTP session for the batch, not one per e-mail
        try:
            yield mailer
        finally:
            mailer.close()

    def send(self, reminder: Reminder, *, template: str, context: dict, session) -> None:
        # The engine has switched to the patient's language.
        send_templated_email(
            to=reminder.patient.email,
            name=template,
            context=context,
            mailer=session,
            message_id=message_id_of(reminder),
        )

    def is_transient(self, error: Exception) -> bool:
        return is_transient(error)

    def describe(self, error: Exception) -> str:
        return describe(error)


EMAIL = EmailChannel()
