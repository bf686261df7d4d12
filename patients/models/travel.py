import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

MAX_SPARE_DOSES = 4


class Means(models.TextChoices):
    PLANE = "plane", _("Plane")
    TRAIN = "train", _("Train")
    CAR = "car", _("Car")
    BOAT = "boat", _("Boat")
    OTHER = "other", _("Other")


class Trip(models.Model):
    """A journey the patient prepares: which doses fall during it, what to carry, the letters.

    The traveller's details (date of birth, passport number, diagnosis) are asked here because
    they only serve the letters; each is optional and printed only when given.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trips", db_index=False
    )
    destination = CountryField(_("destination country"))
    destination_time_zone = models.CharField(_("time zone at the destination"), max_length=64)
    departs_on = models.DateField(_("departure"))
    returns_on = models.DateField(_("return"))
    means = models.CharField(
        _("means of travel"), max_length=10, choices=Means.choices, default=Means.PLANE
    )
    spare_doses = models.PositiveSmallIntegerField(
        _("spare doses to carry"),
        default=1,
        validators=[MaxValueValidator(MAX_SPARE_DOSES)],
        help_text=_("In case the return is delayed or a device is damaged."),
    )
    traveller_name = models.CharField(_("full name as on your passport"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # Opt-in: this trip's page and its approved letters kept by the service worker for use
    # without a network (deleted at log-out, at the trip's end, when a letter is revoked).
    offline = models.BooleanField(_("keep the papers on my devices for offline use"), default=False)
    passport_number = models.CharField(_("passport number"), max_length=20, blank=True)
    diagnosis = models.CharField(
        _("diagnosis to name in the letters"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty and the letters will not name your disease."),
    )
    # Opt-in (issue 22): the letters list the brand, batch and expiry of the packs carried.
    list_packs = models.BooleanField(
        _("list the brand, batch and expiry of the packs I carry"),
        default=False,
        help_text=_(
            "The letters then name each pack you take: those in date until your return, the "
            "first to expire first. Scan or type the batch when you record a pack."
        ),
    )
    # The next trip reminder (7 days, then 1 day before departure); None when none is left.
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["departs_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(returns_on__gte=models.F("departs_on")),
                name="trip_returns_after_departure",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "departs_on"], name="trip_by_patient"),
            # queue_trip_reminders: the trips whose reminder has fallen due.
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(next_reminder_at__isnull=False),
                name="trip_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return f"trip {self.pk} of {self.patient_id}"

    @property
    def nights(self) -> int:
        return (self.returns_on - self.departs_on).days


class LetterKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate for carrying injectable medicine in the cabin")
    PRESCRIPTION = "prescription", _("Prescription summary by international name (INN)")


def new_verification_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits: the QR code's key, printed on paper


class Letter(models.Model):
    """An approved travel letter: what a clinician signed, frozen.

    Drafts are not stored: they are rendered from the trip as it is. Approval freezes the
    letter's content (`content`) so the PDF and the public verification page show what was
    approved, even if the trip changes later; changing the trip revokes it (`revoke_letters`).
    """

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    token = models.CharField(max_length=32, unique=True, default=new_verification_token)
    content = models.JSONField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
    )
    approved_at = models.DateTimeField()
    # The last day the letter is valid: the day the traveller comes back.
    valid_until = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "kind"],
                condition=models.Q(revoked_at__isnull=True),
                name="letter_one_live_per_trip_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} letter {self.pk}"
