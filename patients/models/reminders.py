import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from patients.models.checklists import Checklist
from patients.models.travel import Trip
from patients.models.treatments import Treatment

DEFAULT_LEAD_DAYS = [2, 0]
DEFAULT_HOUR = 9


# The lead days a patient may choose, as the settings form and the data export name them.
LEAD_DAY_CHOICES = [
    (7, _("A week before")),
    (3, _("3 days before")),
    (2, _("2 days before")),
    (1, _("The day before")),
    (0, _("On the day")),
]


def default_lead_days() -> list[int]:
    return list(DEFAULT_LEAD_DAYS)


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class ReminderSettings(models.Model):
    """How and when a patient wants to be reminded. Missing row = the defaults."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder_settings",
    )
    # Days before the planned date (0 = on the day).
    lead_days = models.JSONField(_("when"), default=default_lead_days)
    hour = models.PositiveSmallIntegerField(
        _("time of day"),
        default=DEFAULT_HOUR,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
    )
    by_email = models.BooleanField(_("by e-mail"), default=True)
    in_app = models.BooleanField(_("in the app"), default=True)
    # Push goes to every device in `patient.push_subscriptions`; off until the patient asks.
    by_push = models.BooleanField(_("by notification on my devices"), default=False)
    # The devices a push service said were gone (404/410), shown once on the settings page.
    push_removed = models.JSONField(default=list, blank=True)
    paused = models.BooleanField(_("pause all reminders"), default=False)
    # "Get ready" (issue 19, item 3): the time the patient usually injects, in their home zone;
    # the reminder to take the device out of the fridge comes the label's time before it.
    injection_time = models.TimeField(_("I usually inject at"), null=True, blank=True)
    # That reminder goes by push and in the app (as chosen above); by e-mail only when asked.
    get_ready_by_email = models.BooleanField(_("also by e-mail"), default=False)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # Discreet by default (issue 19: nothing names the medicine on a lock screen the patient did
    # not allow); one choice for the calendar, e-mails, notifications and the in-app list.
    calendar_discreet = models.BooleanField(
        _("discreet calendar titles"),
        default=True,
        help_text=_("Events are called “Treatment”, without the name of the medicine."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hour__gte=0, hour__lte=23), name="reminder_hour_in_day"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder settings of {self.patient_id}"

    @property
    def active(self) -> bool:
        return not self.paused and (self.by_email or self.in_app or self.by_push)


class Kind(models.TextChoices):
    UPCOMING_DOSE = "upcoming_dose", _("Dose coming up")
    OVERDUE_DOSE = "overdue_dose", _("Dose overdue")
    LOW_STOCK = "low_stock", _("Low stock")
    CHECKLIST_SHARED = "checklist_shared", _("Checklist shared")
    CHECKLIST_OPEN = "checklist_open", _("Checklist items to do")
    TRIP_SOON = "trip_soon", _("Trip coming up")
    JOURNAL_PROMPT = "journal_prompt", _("How are you? (monthly scores)")
    PACK_EXPIRY = "pack_expiry", _("Pack expiring")
    GET_READY = "get_ready", _("Take the device out of the fridge")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    IN_APP = "in_app", _("In the app")
    PUSH = "push", _("Notification on my devices")


class State(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(models.Model):
    """The outbox: one row per thing to tell a patient, per channel, created once.

    The unique constraint is what makes a reminder happen once, whatever the number of scans,
    dispatchers or workers; `state` moves pending -> sending -> sent / failed / cancelled.
    """

    # Both keys are indexed by the composite indexes below (patient, -due_at) and the unique
    # constraint (treatment, …): a separate index each would only slow the scan's inserts.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        db_index=False,
    )
    # The subject. A kind about something else (a trip, a checklist) adds its own nullable key
    # and its own unique constraint.
    # No database constraint: a treatment is only ever deleted with its patient, whose
    # constraint above already refuses an orphan row, and the check at each commit was a quarter
    # of the reminder scan's time. Django still cascades the deletion.
    treatment = models.ForeignKey(
        Treatment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        db_index=False,
        db_constraint=False,
    )
    # The checklist kinds' subject; indexed by its unique constraint below.
    checklist = models.ForeignKey(
        Checklist,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        db_index=False,
    )
    # The trip kind's subject; indexed by its unique constraint below.
    trip = models.ForeignKey(
        Trip,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
        db_index=False,
    )
    dose_number = models.PositiveIntegerField(null=True, blank=True)
    # The day the reminder is about (the planned dose date), as the patient saw it.
    about_date = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What makes this reminder one of a kind for its subject, e.g. "dose-7:lead-2".
    occurrence = models.CharField(max_length=60)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # An error class and SMTP code only: never the message text, which may quote the address.
    last_error = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["treatment", "kind", "occurrence", "channel"],
                name="reminder_once_per_treatment_occurrence",
            ),
            models.UniqueConstraint(
                fields=["checklist", "kind", "occurrence", "channel"],
                condition=models.Q(checklist__isnull=False),
                name="reminder_once_per_checklist_occurrence",
            ),
            models.UniqueConstraint(
                fields=["trip", "kind", "occurrence", "channel"],
                condition=models.Q(trip__isnull=False),
                name="reminder_once_per_trip_occurrence",
            ),
        ]
        indexes = [
            # The dispatcher: pending e-mails that fall due, oldest first.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="pending"),
                name="reminder_pending_due",
            ),
            # Claims a dead worker left behind.
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(state="sending"),
                name="reminder_sending_claimed",
            ),
            # The patient's notifications page and the unread badge.
            models.Index(fields=["patient", "-due_at"], name="reminder_by_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurrence} by {self.channel}: {self.state}"
