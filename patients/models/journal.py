"""Between visits: the patient's journal (tied to the doses), symptom scores, what they share
with each specialist, and the flags a specialist sees.

The scores are in the project's own words and only of the free, generic kind (reference
peers-and-standards.md, section d): itch over the last 24 hours (0-10), how the skin is overall
(0-10), the skin area in palms (one palm is about 1 % of the body), joint pain (yes/no, 0-10).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from patients.models.treatments import Injection, Treatment

NOTE_MAX = 1000
SHORT_TEXT_MAX = 200


class SiteReaction(models.TextChoices):
    NONE = "none", _("None")
    MILD = "mild", _("Mild")
    MARKED = "marked", _("Marked")


class HeldReason(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    SURGERY = "surgery", _("Surgery")
    DOCTOR = "doctor", _("A doctor's advice")
    FORGOTTEN = "forgotten", _("Forgotten")
    NO_STOCK = "no_stock", _("No stock")


class LiveQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class JournalEntry(models.Model):
    """What happened, on one day: a reaction, other side effects, an infection, a dose held,
    a note. Any part may be empty; deletion is soft for a while, so it can be undone."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_entries"
    )
    treatment = models.ForeignKey(
        Treatment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    injection = models.ForeignKey(
        Injection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    site_reaction = models.CharField(
        _("reaction at the injection site"),
        max_length=10,
        choices=SiteReaction.choices,
        blank=True,
    )
    side_effects = models.CharField(_("other side effects"), max_length=SHORT_TEXT_MAX, blank=True)
    serious = models.BooleanField(_("it felt serious"), default=False)
    infection = models.BooleanField(_("an infection"), default=False)
    infection_what = models.CharField(_("what infection"), max_length=SHORT_TEXT_MAX, blank=True)
    fever = models.BooleanField(_("fever"), null=True, blank=True)
    antibiotics = models.BooleanField(_("antibiotics"), null=True, blank=True)
    seen_doctor = models.BooleanField(_("seen by a doctor"), null=True, blank=True)
    dose_held = models.BooleanField(_("a dose held or delayed"), default=False)
    held_reason = models.CharField(_("why"), max_length=10, choices=HeldReason.choices, blank=True)
    note = models.TextField(_("note"), max_length=NOTE_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [
            # The journal page and the specialist's page: live entries of a patient, newest first.
            models.Index(
                fields=["patient", "-occurred_on"],
                condition=models.Q(deleted_at__isnull=True),
                name="journal_entry_live_by_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"journal entry of {self.occurred_on}"

    @property
    def serious_reaction(self) -> bool:
        """The patient said it felt serious (urgent care needed). A marked reaction where the
        pen went in is not, by itself, a serious one: the labels list injection-site reactions
        among the common effects (section 4.8), apart from serious allergic reactions (4.4)."""
        return self.serious

    @property
    def marked_site_reaction(self) -> bool:
        return self.site_reaction == SiteReaction.MARKED

    @property
    def needs_guidance(self) -> bool:
        """An infection with fever, or a serious reaction: show what to do and how to report."""
        return (self.infection and bool(self.fever)) or self.serious_reaction


class ScoreSet(models.Model):
    """One day's scores; each may be left out. One live set per patient and day."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_sets"
    )
    recorded_on = models.DateField(_("date"))
    itch = models.PositiveSmallIntegerField(
        _("itch in the last 24 hours"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    skin_overall = models.PositiveSmallIntegerField(
        _("skin overall"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    # {"head": 1, "trunk_front": 3, ...}: palms per region of the body map; the total is kept.
    skin_areas = models.JSONField(default=dict, blank=True)
    skin_palms = models.PositiveSmallIntegerField(
        _("skin area in palms"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    joint_pain = models.BooleanField(_("joint pain"), null=True, blank=True)
    joint_pain_score = models.PositiveSmallIntegerField(
        _("joint pain score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "recorded_on"],
                condition=models.Q(deleted_at__isnull=True),
                name="score_set_one_live_per_day",
            ),
            models.CheckConstraint(
                condition=models.Q(itch__lte=10) | models.Q(itch__isnull=True),
                name="score_set_itch_range",
            ),
            models.CheckConstraint(
                condition=models.Q(skin_overall__lte=10) | models.Q(skin_overall__isnull=True),
                name="score_set_skin_range",
            ),
            models.CheckConstraint(
                condition=models.Q(skin_palms__lte=100) | models.Q(skin_palms__isnull=True),
                name="score_set_palms_range",
            ),
            models.CheckConstraint(
                condition=models.Q(joint_pain_score__lte=10)
                | models.Q(joint_pain_score__isnull=True),
                name="score_set_joint_range",
            ),
        ]

    def __str__(self) -> str:
        return f"scores of {self.recorded_on}"


class JournalShare(models.Model):
    """The patient's answer, per specialist: are the journal and scores shared? No row: not
    asked yet, and not shared."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_shares"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    shared = models.BooleanField(default=False)
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "clinician"], name="journal_share_once"),
        ]

    def __str__(self) -> str:
        return f"journal of {self.patient_id} to {self.clinician_id}: {self.shared}"


class FlagReason(models.TextChoices):
    ITCH_UP = "itch_up", _("Itch up against the patient's own baseline")
    SKIN_WORSE = "skin_worse", _("Skin worse")
    INFECTION = "infection", _("Infection reported")
    SERIOUS_REACTION = "serious_reaction", _("Serious reaction reported")
    SITE_REACTION = "site_reaction", _("Marked injection-site reaction")
    OVERDUE = "overdue", _("Dose overdue past the window")
    DOSE_HELD = "dose_held", _("Dose held or delayed")


class JournalFlag(models.Model):
    """A patient a specialist should look at, and why. Raised for each specialist the patient
    shares with (overdue doses: for every linked specialist, who sees the doses anyway)."""

    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_flags"
    )
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    # What raised it ("entry-12", "scores-7", "overdue-5-9"): the same cause flags once.
    key = models.CharField(max_length=40)
    # The figures the flag states (e.g. {"value": 8, "baseline": 3}); never free text.
    detail = models.JSONField(default=dict, blank=True)
    about_date = models.DateField()
    raised_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "patient", "reason", "key"], name="journal_flag_once"
            ),
        ]
        indexes = [
            # The clinic dashboard: a specialist's flags not seen yet, newest first.
            models.Index(
                fields=["clinician", "-raised_at"],
                condition=models.Q(seen_at__isnull=True),
                name="journal_flag_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} for {self.patient_id}"
