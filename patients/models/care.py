"""Clinicians, the links patients give them, invitations, and the record of who saw what."""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Also given to the sign-up form, which is a form of the user, not of this model.
validate_registration_number = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 .\-]{3,29}$",
    _("Enter 4 to 30 letters or digits, as on your registration."),
)


class ClinicianStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ClinicianProfile(models.Model):
    """What an admin checks before a clinician may see any patient."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="clinician_profile",
    )
    specialty = models.CharField(_("specialty"), max_length=100)
    institution = models.CharField(_("institution"), max_length=150)
    registration_number = models.CharField(
        _("professional registration number"),
        max_length=30,
        help_text=_("In France, your RPPS number (11 digits)."),
        validators=[validate_registration_number],
    )
    status = models.CharField(
        max_length=10, choices=ClinicianStatus.choices, default=ClinicianStatus.PENDING
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("clinician profile")
        verbose_name_plural = _("clinician profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"

    @property
    def approved(self) -> bool:
        return self.status == ClinicianStatus.APPROVED


class CareLinkQuerySet(models.QuerySet):
    def active(self) -> "CareLinkQuerySet":
        return self.filter(revoked_at__isnull=True)


class CareLink(models.Model):
    """A patient lets a clinician follow their care. Revoking it ends access at once."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_links"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "clinician"],
                condition=models.Q(revoked_at__isnull=True),
                name="care_link_one_active_per_pair",
            ),
        ]
        indexes = [
            # Every clinician request: the clinician's active links (and the dashboard).
            models.Index(
                fields=["clinician", "patient"],
                condition=models.Q(revoked_at__isnull=True),
                name="care_link_active_by_clinician",
            ),
        ]

    def __str__(self) -> str:
        return f"link {self.patient_id} -> {self.clinician_id}"


INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed
INVITATION_LENGTH = 12  # 31^12 ≈ 2^59


def new_invitation_code() -> str:
    raw = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(INVITATION_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, INVITATION_LENGTH, 4))


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in INVITATION_ALPHABET)


def digest(secret: str) -> str:
    """What is stored of a code or link token: whoever reads the table cannot use it."""
    return hashlib.sha256(secret.encode()).hexdigest()


class InvitationDirection(models.TextChoices):
    TO_PATIENT = "to_patient", _("from a clinician to a patient")
    TO_CLINICIAN = "to_clinician", _("from a patient to a clinician")


class Invitation(models.Model):
    """A single-use code that creates a care link when the other side accepts it."""

    code_digest = models.CharField(max_length=64, unique=True)
    direction = models.CharField(max_length=12, choices=InvitationDirection.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.direction})"

    def is_open(self, now) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and now < self.expires_at


class AccessAction(models.TextChoices):
    LISTED = "listed", _("saw your treatment summary in their list of patients")
    VIEWED_RECORD = "viewed_record", _("viewed your treatment and history")
    VIEWED_CHECKLIST = "viewed_checklist", _("viewed a checklist")
    CHANGED_CHECKLIST = "changed_checklist", _("changed a checklist")
    MOVED_DOSE = "moved_dose", _("moved a planned dose")
    PRINTED_CHECKLIST = "printed_checklist", _("printed a checklist")
    OPENED_SHARE_LINK = "opened_share_link", _("opened a checklist through your share link")
    VIEWED_LETTER = "viewed_letter", _("viewed a travel letter")
    APPROVED_LETTER = "approved_letter", _("approved a travel letter")
    REVOKED_LETTER = "revoked_letter", _("revoked a travel letter")
    VIEWED_JOURNAL = "viewed_journal", _("viewed your journal and scores")
    SAW_JOURNAL_FLAG = "saw_journal_flag", _("saw an alert from your journal in their list")
    MADE_SUMMARY = "made_summary", _("made a visit summary of your treatment")


class AccessEvent(models.Model):
    """Who read or changed a patient's data, shown to the patient ("who looked at my data").

    No health data is stored here, only what kind of thing was seen and when. The record
    outlives the accounts on both sides (it is evidence of who accessed health data), but not
    the people's identities: when the patient or the actor deletes their account, the key to
    them is cleared and a pseudonym (`patients.privacy.pseudonym`) takes its place; an actor's
    copied name goes too. Entries older than ACCESS_LOG_RETENTION_DAYS are purged daily.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
        db_index=False,  # the (patient, -at) index below serves it
    )
    # Set when the patient's account is deleted (patient is then NULL).
    patient_pseudonym = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200)
    # Set when the actor's account is deleted (actor is then NULL and actor_name empty).
    actor_pseudonym = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    at = models.DateTimeField(db_index=False)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="access_event_by_patient"),
            # purge_access_log: the entries older than the retention period, in batches.
            models.Index(fields=["at"], name="access_event_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} at {self.at:%Y-%m-%d %H:%M}"
