"""The therapy catalogue. Rows come from therapies/catalogue/*.toml through `load_catalogue`.

API for the patient side (documented in therapies/catalogue/README.md, "For the patient side"):
`Drug.presentations` / `Drug.presentation(key)`, `devices_per_dose(dose_mg, presentation)`,
`Regimen.indication`, `Regimen.presentations()`, `Regimen.spec(presentation=...)` and
`Drug.indications_not_covered`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
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


class SourceKind(models.TextChoices):
    """Where a rule comes from, said as it is to the reader (see therapies/citations.py)."""

    EU_SMPC = "eu_smpc", _("EU summary of product characteristics (SmPC)")
    EU_LEAFLET = "eu_leaflet", _("EU package leaflet")
    MANUFACTURER = "manufacturer", _("manufacturer's other information")
    NON_EU_LABEL = "non_eu_label", _("label used outside the EU")
    GUIDELINE = "guideline", _("guideline or national recommendation")
    PROJECT_DEFAULT = "project_default", _("the project's default rule")

    @classmethod
    def from_eu_label(cls, kind: str) -> bool:
        return kind in (cls.EU_SMPC, cls.EU_LEAFLET)


class Indication(models.TextChoices):
    """The condition a regimen is for, as its label names it."""

    PLAQUE_PSORIASIS_ADULT = "plaque_psoriasis_adult", _("plaque psoriasis (adults)")
    PSORIATIC_ARTHRITIS = "psoriatic_arthritis", _("psoriatic arthritis")
    AXIAL_SPONDYLOARTHRITIS = "axial_spondyloarthritis", _("axial spondyloarthritis")
    HIDRADENITIS_SUPPURATIVA = "hidradenitis_suppurativa", _("hidradenitis suppurativa")
    RHEUMATOID_ARTHRITIS = "rheumatoid_arthritis", _("rheumatoid arthritis")
    CROHNS_DISEASE = "crohns_disease", _("Crohn's disease")
    ULCERATIVE_COLITIS = "ulcerative_colitis", _("ulcerative colitis")
    PAEDIATRIC_PSORIASIS = "paediatric_psoriasis", _("plaque psoriasis in children")
    OTHER = "other", _("other conditions named in the label")


class MissedDoseRule(models.TextChoices):
    RESUME_ORIGINAL_PLAN = (
        dosing.MissedDoseRule.RESUME_ORIGINAL_PLAN,
        _("Resume the original plan"),
    )


@dataclass(frozen=True)
class Presentation:
    """One device on the market: a pen or a pre-filled syringe of a given strength."""

    key: str
    kind: str  # DeviceKind value
    strength_mg: int
    source: str = ""
    # Minutes at room temperature before injecting, from the label (the lower bound of its
    # range, and the upper bound); None when the label gives none (no "get ready" reminder).
    warm_up_minutes: int | None = None
    warm_up_up_to: int | None = None
    warm_up_source: str = ""

    @classmethod
    def from_row(cls, row: dict) -> Presentation:
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        return cls(
            key=row["key"],
            kind=row["kind"],
            strength_mg=int(row["strength_mg"]),
            source=row.get(f"source_{language}") or row.get("source_fr", ""),
            warm_up_minutes=row.get("warm_up_minutes"),
            warm_up_up_to=row.get("warm_up_up_to"),
            warm_up_source=row.get(f"warm_up_source_{language}")
            or row.get("warm_up_source_fr", ""),
        )

    @property
    def kind_label(self) -> str:
        return str(DeviceKind(self.kind).label)

    def __str__(self) -> str:
        return f"{self.kind_label} {self.strength_mg} mg"


def devices_per_dose(dose_mg: int, presentation: Presentation) -> int | None:
    """How many devices of `presentation` make one dose of `dose_mg`.

    An 80 mg dose is two 40 mg pens, or one 80 mg pen. None when the dose is not a whole
    number of devices (a 40 mg dose cannot be given with an 80 mg pen).
    """
    if dose_mg < 1 or dose_mg % presentation.strength_mg:
        return None
    return dose_mg // presentation.strength_mg


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
    missed_dose_source_kind = models.CharField(
        max_length=20, choices=SourceKind.choices, default=SourceKind.PROJECT_DEFAULT
    )
    # The source's `verified` flag: its text was read and says the rule (therapies/citations.py).
    missed_dose_verified = models.BooleanField(default=False)
    missed_dose_source_fr = models.CharField(max_length=400, default="")
    missed_dose_source_en = models.CharField(max_length=400, default="")
    sources = models.JSONField(default=list)  # [{"label": ..., "url": ...}]
    # [{"key": "pen-80mg", "kind": "pen", "strength_mg": 80, "source_fr": ..., "source_en": ...}]
    presentation_rows = models.JSONField(default=list)
    # Indications of the label for which the catalogue holds no regimen: [{"fr": ..., "en": ...}]
    indications_without_regimen = models.JSONField(default=list, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)

    target = Localized()
    devices_note = Localized()
    how_it_works = Localized()
    missed_dose_source = Localized()

    class Meta:
        ordering = ["inn"]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")

    def __str__(self) -> str:
        return f"{self.inn} ({', '.join(self.brand_names)})"

    def get_absolute_url(self) -> str:
        return reverse("therapies:detail", args=[self.inn])

    @property
    def missed_dose_from_label(self) -> bool:
        """True only when the EU SmPC or package leaflet itself gives the rule."""
        return SourceKind.from_eu_label(self.missed_dose_source_kind)

    @property
    def missed_dose_rule_sourced(self) -> bool:
        """True when a document that was read gives the rule (an EU label, the manufacturer's
        information, a label used outside the EU): not the project's own default, nor a source
        nobody checked. Only then may a page say what the rule is; otherwise it says to ask the
        specialist."""
        return self.missed_dose_verified and self.missed_dose_source_kind != (
            SourceKind.PROJECT_DEFAULT
        )

    @property
    def missed_dose_advice(self) -> str:
        """The missed-dose rule in plain words, saying truthfully where it comes from."""
        rule = _(
            "Take the late dose as soon as possible, then keep to your planned dates: "
            "the following doses do not move."
        )
        kind = self.missed_dose_source_kind
        if SourceKind.from_eu_label(kind):
            return _("What the package leaflet says: %(rule)s") % {"rule": rule}
        if kind == SourceKind.MANUFACTURER:
            return _(
                "The manufacturer's information (not the EU package leaflet) gives this rule: "
                "%(rule)s Ask your specialist, who may change your dates."
            ) % {"rule": rule}
        if kind == SourceKind.NON_EU_LABEL:
            return _(
                "This rule comes from a label used outside the EU, not from the EU package "
                "leaflet: %(rule)s Ask your specialist, who may change your dates."
            ) % {"rule": rule}
        return _(
            "Our default rule, not taken from your medicine's label: %(rule)s "
            "Ask your specialist, who may change your dates."
        ) % {"rule": rule}

    @property
    def presentations(self) -> list[Presentation]:
        """The devices on the EU market for this drug (pen or syringe, and strength)."""
        return [Presentation.from_row(row) for row in self.presentation_rows]

    def warm_up_presentation(self, key: str) -> Presentation | None:
        """The device `key` (or, when no key is known, the drug's only device) if its label says
        how long to leave it at room temperature before injecting; else None."""
        presentations = self.presentations
        if key:
            chosen = [p for p in presentations if p.key == key]
        else:
            chosen = presentations if len(presentations) == 1 else []
        if chosen and chosen[0].warm_up_minutes:
            return chosen[0]
        return None

    def presentation(self, key: str) -> Presentation:
        """One presentation by its key (e.g. "pen-40mg"); KeyError if the drug has none such."""
        for presentation in self.presentations:
            if presentation.key == key:
                return presentation
        raise KeyError(f"{self.inn} has no presentation {key!r}")

    @property
    def indications_not_covered(self) -> list[str]:
        """Label indications for which the catalogue holds no plan, in the reader's language."""
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        return [row.get(language) or row["fr"] for row in self.indications_without_regimen]

    @property
    def brands(self) -> str:
        return ", ".join(self.brand_names)

    @property
    def device_kind_labels(self) -> list[str]:
        return [str(DeviceKind(kind).label) for kind in self.device_kinds]


class Regimen(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="regimens")
    name = models.SlugField(max_length=60)
    indication = models.CharField(
        max_length=30, choices=Indication.choices, default=Indication.PLAQUE_PSORIASIS_ADULT
    )
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
    source_fr = models.CharField(max_length=400, default="")
    source_en = models.CharField(max_length=400, default="")

    label = Localized()
    weight_note = Localized()  # the label's condition for this option (weight, burden...)
    source = Localized()

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

    @property
    def doses_mg(self) -> set[int]:
        return {d["dose_mg"] for d in self.loading} | {self.maintenance_dose_mg}

    def presentations(self) -> list[Presentation]:
        """The drug's presentations that give every dose of this regimen in whole devices."""
        return [
            p
            for p in self.drug.presentations
            if all(devices_per_dose(mg, p) for mg in self.doses_mg)
        ]

    def spec(self, presentation: Presentation | None = None) -> dosing.RegimenSpec:
        """The dose plan; with a presentation, the devices of each dose follow its strength.

        Without one, the device counts written in the catalogue are used (the usual device).
        """
        spec = self._catalogue_spec()
        if presentation is None:
            return spec
        counts = {mg: devices_per_dose(mg, presentation) for mg in self.doses_mg}
        if None in counts.values():
            raise ValueError(f"{presentation} cannot give every dose of {self.name}")
        return replace(
            spec,
            loading=tuple(replace(d, devices=counts[d.dose_mg]) for d in spec.loading),
            devices=counts[spec.dose_mg],
        )

    def _catalogue_spec(self) -> dosing.RegimenSpec:
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
    source_fr = models.CharField(max_length=400, default="")
    source_en = models.CharField(max_length=400, default="")
    # What the reader is told when no figure is shown (e.g. "keep it in the fridge until use").
    note_fr = models.TextField(blank=True)
    note_en = models.TextField(blank=True)

    source = Localized()
    note = Localized()

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
    source_fr = models.CharField(max_length=400, default="")
    source_en = models.CharField(max_length=400, default="")

    text = Localized()
    source = Localized()

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
