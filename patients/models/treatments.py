from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from therapies import dosing
from therapies.models import Drug, Indication, Presentation, Regimen


class TreatmentQuerySet(models.QuerySet):
    def active(self) -> "TreatmentQuerySet":
        return self.filter(stopped_on__isnull=True)

    def for_patient(self, user) -> "TreatmentQuerySet":
        return self.filter(patient=user).select_related(
            "patient", "drug", "regimen", "drug__storage"
        )


class Treatment(models.Model):
    """A patient's course of one biologic, from the first injection on."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="treatments"
    )
    # No index on drug and regimen: nothing looks treatments up by them but the rare deletion of
    # a catalogue entry, and every index makes the reminder scan's UPDATE of a million-row table
    # slower (next_reminder_at is indexed, so those updates cannot be HOT).
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+", db_index=False)
    regimen = models.ForeignKey(Regimen, on_delete=models.PROTECT, related_name="+", db_index=False)
    first_dose_on = models.DateField(_("date of the first injection"))
    prescriber_name = models.CharField(_("prescriber's name"), max_length=120, blank=True)
    # The device the patient uses (a key of Drug.presentations, e.g. "pen-40mg"): the devices of
    # each dose follow its strength. Empty until the patient says (the catalogue's usual count).
    presentation_key = models.CharField(_("device used"), max_length=40, blank=True)
    # The condition the patient is treated for, as they said when starting; empty for treatments
    # started before it was asked (the regimen's own indication is then shown).
    condition = models.CharField(
        _("condition treated"), max_length=30, choices=Indication.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stopped_on = models.DateField(null=True, blank=True)
    # Kept by patients.reminders.plan_reminders whenever the plan, the log or the settings
    # change, so the reminder scan reads an index instead of computing a million plans.
    next_dose_number = models.PositiveIntegerField(default=1)
    next_dose_on = models.DateField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One active treatment per drug and patient: start_treatment checks it first,
            # the database keeps it true under concurrent requests.
            models.UniqueConstraint(
                fields=["patient", "drug"],
                condition=models.Q(stopped_on__isnull=True),
                name="treatment_one_active_per_drug",
            ),
        ]
        indexes = [
            # queue_due_reminders: treatments whose next reminder has fallen due.
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(next_reminder_at__isnull=False),
                name="treatment_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug.inn} since {self.first_dose_on}"

    @property
    def presentation(self) -> Presentation | None:
        """The device the patient uses, if they said and the catalogue still lists it."""
        if not self.presentation_key:
            return None
        try:
            return self.drug.presentation(self.presentation_key)
        except KeyError:
            return None

    @property
    def warm_up(self) -> Presentation | None:
        """The device, when its label says how long to leave it out of the fridge before
        injecting (the "get ready" reminder); None otherwise."""
        return self.drug.warm_up_presentation(self.presentation_key)

    @property
    def warm_up_unknown_device(self) -> bool:
        """No "get ready" reminder yet only because the patient has not said which device they
        use, and one of the drug's devices has a time in its label."""
        return (
            self.warm_up is None
            and not self.presentation_key
            and any(p.warm_up_minutes for p in self.drug.presentations)
        )

    @property
    def needs_presentation(self) -> bool:
        """The patient has not said which device they use and the drug has several."""
        return self.presentation is None and len(self.drug.presentation_rows) > 1

    def dose_spec(self) -> dosing.RegimenSpec:
        """The regimen's plan, the devices of each dose following the patient's device (an 80 mg
        dose is two 40 mg pens); the catalogue's usual counts until the device is known."""
        presentation = self.presentation
        if presentation is not None:
            try:
                return self.regimen.spec(presentation=presentation)
            except ValueError:  # a device that cannot give this plan's doses
                pass
        return self.regimen.spec()

    @property
    def treated_condition(self) -> str:
        """The condition's name: the one the patient gave, else the regimen's indication."""
        return Indication(self.condition or self.regimen.indication).label

    @property
    def plan_is_for_another_condition(self) -> bool:
        """The catalogue holds no plan for the patient's condition: the dates shown are those of
        the regimen they chose, and the specialist's plan applies (they can move each dose)."""
        return bool(self.condition) and self.condition != self.regimen.indication


class DoseOverride(models.Model):
    """A clinician moved one planned dose to another date (the rest of the plan stays)."""

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="overrides")
    dose_number = models.PositiveIntegerField()
    date = models.DateField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["treatment", "dose_number"], name="override_one_per_dose"
            ),
        ]

    def __str__(self) -> str:
        return f"dose {self.dose_number} moved to {self.date}"


class InjectionSite(models.TextChoices):
    ABDOMEN_LEFT = "abdomen_left", _("Abdomen, left")
    ABDOMEN_RIGHT = "abdomen_right", _("Abdomen, right")
    THIGH_LEFT = "thigh_left", _("Thigh, left")
    THIGH_RIGHT = "thigh_right", _("Thigh, right")
    ARM_LEFT = "arm_left", _("Upper arm, left")
    ARM_RIGHT = "arm_right", _("Upper arm, right")
    # Doses logged in one step when a patient already on treatment starts using the app.
    NOT_RECORDED = "not_recorded", _("Not recorded")

    @classmethod
    def body_sites(cls) -> list["InjectionSite"]:
        """The sites a patient chooses from (the body map), in order."""
        return [site for site in cls if site != cls.NOT_RECORDED]


class Reaction(models.TextChoices):
    NONE = "none", _("None")
    REDNESS = "redness", _("Redness")
    SWELLING = "swelling", _("Swelling")
    PAIN = "pain", _("Pain")
    OTHER = "other", _("Other")


class InjectionQuerySet(models.QuerySet):
    def live(self) -> "InjectionQuerySet":
        return self.filter(deleted_at__isnull=True)


class Injection(models.Model):
    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="injections")
    dose_number = models.PositiveIntegerField(_("dose"))
    taken_at = models.DateTimeField(_("date and time"))
    # The calendar day in the patient's home zone when the dose was taken: the plan is in days.
    taken_on = models.DateField()
    site = models.CharField(_("injection site"), max_length=20, choices=InjectionSite.choices)
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)
    reaction = models.CharField(
        _("reaction"), max_length=10, choices=Reaction.choices, default=Reaction.NONE
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    devices_used = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    # The pack the devices came from (issue 22): its batch is what a side-effect report needs.
    pack = models.ForeignKey(
        "StockDelivery",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="injections",
        verbose_name=_("pack"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Deletion is soft for a while so the patient can undo it.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = InjectionQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["treatment", "dose_number"],
                condition=models.Q(deleted_at__isnull=True),
                name="injection_one_per_dose",
            ),
        ]
        indexes = [
            # The dashboard and history: live injections of a treatment, newest first.
            models.Index(
                fields=["treatment", "-taken_at"],
                condition=models.Q(deleted_at__isnull=True),
                name="injection_live_by_treatment",
            ),
        ]

    def __str__(self) -> str:
        return f"dose {self.dose_number} on {self.taken_on}"


class StockDelivery(models.Model):
    """A pack the patient received (pharmacy pick-up, home delivery): its devices and, when
    known (scanned from the box's GS1 DataMatrix or typed), its batch, expiry and product code.
    A delivery recorded before packs existed is one pack with no batch. The serial number (AI 21)
    is read but never stored: it identifies one box and says nothing the patient needs."""

    treatment = models.ForeignKey(
        Treatment, on_delete=models.CASCADE, related_name="stock_deliveries"
    )
    received_on = models.DateField(_("received on"))
    devices = models.PositiveSmallIntegerField(
        _("number of devices"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    batch = models.CharField(_("batch"), max_length=20, blank=True)  # GS1 AI 10: up to 20
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)
    gtin = models.CharField(_("product code (GTIN)"), max_length=14, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(devices__gte=1), name="stock_delivery_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.devices} devices on {self.received_on}"
