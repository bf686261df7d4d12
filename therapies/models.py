"""The therapy catalogue. Rows come from therapies/catalogue/*.toml through `load_catalogue`."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from therapies import dosing
from therapies.localized import Localized


class DrugClass(models.TextChoices):
    ANTI_IL23 = "anti_il23", _("Anti-IL-23")
    ANTI_IL12_23 = "anti_il12_23", _("Anti-IL-12/23")
    ANTI_IL17 = "anti_il17", _("Anti-IL-17")
    ANTI_IL6R = "anti_il6r", _("Anti-IL-6 receptor")
    ANTI_TNF = "anti_tnf", _("Anti-TNF (for comparison)")


class Route(models.TextChoices):
    SUBCUTANEOUS = "subcutaneous", _("under the skin (subcutaneous)")


class DeviceKind(models.TextChoices):
    PEN = "pen", _("pre-filled pen")
    PREFILLED_SYRINGE = "prefilled_syringe", _("pre-filled syringe")


class MissedDoseRule(models.TextChoices):
    RESUME_ORIGINAL_PLAN = (
        dosing.MissedDoseRule.RESUME_ORIGINAL_PLAN,
        _("Resume the original plan"),
    )


class Drug(models.Model):
    inn = models.SlugField(_("INN"), max_length=60, unique=True)
    brand_names = models.JSONField(_("brand names"), default=list)
    target_fr = models.CharField(_("target"), max_length=80)
    target_en = models.CharField(_("target"), max_length=80)
    drug_class = models.CharField(_("class"), max_length=20, choices=DrugClass.choices)
    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    device_kinds = models.JSONField(_("device kinds"), default=list)
    devices_per_dose = models.PositiveSmallIntegerField(_("devices per dose"))
    devices_note_fr = models.TextField(blank=True)
    devices_note_en = models.TextField(blank=True)
    how_it_works_fr = models.TextField()
    how_it_works_en = models.TextField()
    missed_dose_rule = models.CharField(
        max_length=40,
        choices=MissedDoseRule.choices,
        default=MissedDoseRule.RESUME_ORIGINAL_PLAN,
    )
    missed_dose_from_label = models.BooleanField(default=False)
    missed_dose_source = models.CharField(max_length=300)
    sources = models.JSONField(default=list)  # [{"label": ..., "url": ...}]

    target = Localized()
    devices_note = Localized()
    how_it_works = Localized()

    class Meta:
        ordering = ["inn"]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")

    def __str__(self) -> str:
        return f"{self.inn} ({', '.join(self.brand_names)})"

    def get_absolute_url(self) -> str:
        return reverse("therapies:detail", args=[self.inn])

    @property
    def missed_dose_advice(self) -> str:
        """The missed-dose rule in plain words, saying whether it comes from the label."""
        rule = _(
            "Take the late dose as soon as possible, then keep to your planned dates: "
            "the following doses do not move."
        )
        if self.missed_dose_from_label:
            return _("What the package leaflet says: %(rule)s") % {"rule": rule}
        return _(
            "The usual rule: %(rule)s Check your package leaflet or ask your specialist, "
            "who may change your dates."
        ) % {"rule": rule}

    @property
    def brands(self) -> str:
        return ", ".join(self.brand_names)

    @property
    def device_kind_labels(self) -> list[str]:
        return [str(DeviceKind(kind).label) for kind in self.device_kinds]


class Regimen(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="regimens")
    name = models.SlugField(max_length=60)
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    label_fr = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    weight_note_fr = models.CharField(max_length=300, blank=True)
    weight_note_en = models.CharField(max_length=300, blank=True)
    # [{"week": 0, "dose_mg": 100, "devices": 1}, ...]
    loading = models.JSONField(default=list, blank=True)
    maintenance_every = models.PositiveSmallIntegerField()
    maintenance_unit = models.CharField(
        max_length=10,
        choices=[(u.value, u.value) for u in dosing.IntervalUnit],
    )
    maintenance_dose_mg = models.PositiveSmallIntegerField()
    maintenance_devices = models.PositiveSmallIntegerField()
    maintenance_start_week = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=300)

    label = Localized()
    weight_note = Localized()

    class Meta:
        ordering = ["drug", "position"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "name"], name="regimen_unique_name_per_drug"),
            models.UniqueConstraint(
                fields=["drug"],
                condition=models.Q(is_default=True),
                name="regimen_one_default_per_drug",
            ),
            models.CheckConstraint(
                condition=models.Q(maintenance_every__gte=1), name="regimen_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug.inn} · {self.label}"

    def spec(self) -> dosing.RegimenSpec:
        return dosing.RegimenSpec(
            loading=tuple(
                dosing.LoadingDose(week=d["week"], dose_mg=d["dose_mg"], devices=d["devices"])
                for d in self.loading
            ),
            every=self.maintenance_every,
            unit=dosing.IntervalUnit(self.maintenance_unit),
            dose_mg=self.maintenance_dose_mg,
            devices=self.maintenance_devices,
            start_week=self.maintenance_start_week,
        )


class StoragePeriod(models.TextChoices):
    SINGLE = "single", _("in one single period")
    CUMULATIVE = "cumulative", _("in total, possibly over several periods")


class StorageRule(models.Model):
    """Time a device may spend outside the fridge. Shown only when `verified`.

    `period` and `back_in_fridge` stay empty where the source does not say.
    """

    drug = models.OneToOneField(Drug, on_delete=models.CASCADE, related_name="storage")
    verified = models.BooleanField(default=False)
    max_temp_c = models.PositiveSmallIntegerField(null=True, blank=True)
    max_hours = models.PositiveIntegerField(null=True, blank=True)
    period = models.CharField(max_length=12, choices=StoragePeriod.choices, blank=True)
    back_in_fridge = models.BooleanField(null=True, blank=True)
    source = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verified=False)
                | (models.Q(max_temp_c__isnull=False) & models.Q(max_hours__isnull=False)),
                name="storage_verified_rule_is_complete",
            )
        ]

    def __str__(self) -> str:
        return f"storage of {self.drug.inn}"

    @property
    def max_days(self) -> int | None:
        if self.max_hours is None or self.max_hours % 24:
            return None
        return self.max_hours // 24


class Caution(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="cautions")
    position = models.PositiveSmallIntegerField(default=0)
    text_fr = models.TextField()
    text_en = models.TextField()
    source = models.CharField(max_length=300)

    text = Localized()

    class Meta:
        ordering = ["drug", "position"]

    def __str__(self) -> str:
        return f"caution {self.position} for {self.drug.inn}"


class CompletedBy(models.TextChoices):
    PATIENT = "patient", _("the patient")
    CLINICIAN = "clinician", _("the specialist")


class ChecklistTemplate(models.Model):
    """The pre-treatment checks for one drug class (therapies/catalogue/checklists/)."""

    drug_class = models.CharField(_("class"), max_length=20, choices=DrugClass.choices, unique=True)

    class Meta:
        ordering = ["drug_class"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return str(self.get_drug_class_display())


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField()
    # INNs this item is for; empty means every drug of the class (e.g. brodalumab only).
    only_for = models.JSONField(default=list, blank=True)
    completed_by = models.CharField(max_length=10, choices=CompletedBy.choices)
    records_date = models.BooleanField(default=True)
    records_result = models.BooleanField(default=False)
    label_fr = models.CharField(max_length=120)
    label_en = models.CharField(max_length=120)
    explanation_fr = models.TextField()
    explanation_en = models.TextField()
    source = models.CharField(max_length=300)
    article = models.SlugField(max_length=80, blank=True)

    label = Localized()
    explanation = Localized()

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="template_item_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.template.drug_class}: {self.key}"

    def applies_to(self, drug: Drug) -> bool:
        return not self.only_for or drug.inn in self.only_for
