"""Pre-treatment checklists a clinician gives a patient, item by item, with their history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from therapies.localized import Localized
from therapies.models import CompletedBy, Drug


class Checklist(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checklists"
    )
    # The drug it prepares for; its class chose the template.
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    # Until it is shared the patient does not see it: the clinician may still be trimming it.
    shared_at = models.DateTimeField(null=True, blank=True)
    # The weekly reminder while items the patient has to do are open (patients.checklists).
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-created_at"], name="checklist_by_patient"),
            # queue_checklist_reminders: checklists whose weekly reminder has fallen due.
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(next_reminder_at__isnull=False),
                name="checklist_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return f"checklist {self.pk} for {self.drug.inn}"


class Result(models.TextChoices):
    NORMAL = "normal", _("Normal")
    ABNORMAL = "abnormal", _("Abnormal")
    FOLLOW_UP = "follow_up", _("Follow-up needed")


class ChecklistItem(models.Model):
    """One check. Items from the catalogue are copied, so a later catalogue edit does not change
    a list the patient already has; a clinician's own item has the same text in both languages."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=60, blank=True)  # the catalogue item; empty when custom
    label_fr = models.CharField(_("item"), max_length=120)
    label_en = models.CharField(max_length=120)
    explanation_fr = models.TextField(blank=True)
    explanation_en = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    article = models.SlugField(max_length=80, blank=True)
    completed_by = models.CharField(
        _("who does it"), max_length=10, choices=CompletedBy.choices, default=CompletedBy.PATIENT
    )
    records_date = models.BooleanField(default=True)
    records_result = models.BooleanField(default=False)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # Done: by the patient (or the clinician for their own items), on a day, with a note.
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.CharField(_("note"), max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Verified: by the clinician only, with the result where one is recorded.
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)

    label = Localized()
    explanation = Localized()

    class Meta:
        ordering = ["checklist", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done_at__isnull=True) | models.Q(done_on__isnull=False),
                name="checklist_item_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.position} of checklist {self.checklist_id}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class ChecklistAction(models.TextChoices):
    CREATED = "created", _("created the checklist")
    SHARED = "shared", _("shared the checklist")
    ADDED = "added", _("added the item")
    REMOVED = "removed", _("removed the item")
    DUE = "due", _("set the due date")
    DONE = "done", _("marked the item done")
    UNDONE = "undone", _("marked the item not done")
    VERIFIED = "verified", _("verified the item")
    UNVERIFIED = "unverified", _("withdrew the verification")


class ChecklistEvent(models.Model):
    """Who changed what and when. Names and labels are copied: the record outlives both."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="events")
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    item_label = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=12, choices=ChecklistAction.choices)
    # A date, a result: what the change set, for the record.
    detail = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} ({self.checklist_id})"


class ShareLinkQuerySet(models.QuerySet):
    def open(self, now) -> "ShareLinkQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ChecklistShareLink(models.Model):
    """A read-only link for someone without an account (a lab). Only a digest of the token is
    kept; it expires and the patient can revoke it."""

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="share_links")
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link {self.pk} of checklist {self.checklist_id}"
