"""Treatments: starting one, logging a dose, stock, a clinician moving a dose."""

from dataclasses import replace
from datetime import datetime

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from patients import timeutils
from patients.forms.fields import PlausibleDateField, RequiredMessages, date_input
from patients.forms.stock import pack_label
from patients.models import (
    Injection,
    InjectionSite,
    Reaction,
    StockDelivery,
    Treatment,
    User,
)
from patients.treatments.reads import SiteUse
from therapies import dosing
from therapies.models import Drug, Indication, Presentation, Regimen


def condition_choices() -> list[tuple[str, str]]:
    """The conditions a patient may say they are treated for ("other" in the patient's words)."""
    return [
        (value, _("another condition") if value == Indication.OTHER else label)
        for value, label in Indication.choices
    ]


def presentation_choices(regimen: Regimen) -> list[tuple[str, str]]:
    """The devices that give every dose of `regimen` (key, "pre-filled pen 40 mg")."""
    return [(p.key, str(p)) for p in regimen.presentations()]


class RegimenChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Regimen) -> str:
        note = f" ({obj.weight_note})" if obj.weight_note else ""
        return f"{obj.label}{note}"


def _without_devices(spec: dosing.RegimenSpec) -> dosing.RegimenSpec:
    return replace(spec, loading=tuple(replace(d, devices=1) for d in spec.loading), devices=1)


def device_twin(regimen: Regimen, presentation: Presentation) -> Regimen | None:
    """Where the catalogue writes one regimen per device (Cosentyx 300 mg: one 300 mg pen, or
    two 150 mg pens), the regimen of the same schedule written for `presentation`, when the
    patient chose the other one (its label would name the wrong device)."""
    spec = regimen.spec()
    if regimen.spec(presentation=presentation) == spec:
        return None
    for other in regimen.drug.regimens.filter(indication=regimen.indication).exclude(pk=regimen.pk):
        same = _without_devices(other.spec()) == _without_devices(spec)
        written_for_it = other.spec(presentation=presentation) == other.spec()
        if same and written_for_it and other.weight_note == regimen.weight_note:
            return other
    return None


class StartTreatmentForm(RequiredMessages, forms.Form):
    regimen = RegimenChoiceField(
        queryset=Regimen.objects.select_related("drug").order_by("drug__inn", "position"),
        label=_("Medicine and regimen"),
        help_text=_("As written on your prescription. Ask your specialist if unsure."),
    )
    first_dose_on = PlausibleDateField(
        label=_("Date of the first injection"),
        widget=date_input(),
        help_text=_("Week 0 of the regimen. It may be in the past or planned."),
    )
    condition = forms.ChoiceField(
        label=_("Condition this treatment is for"),
        help_text=_("Each regimen is for the condition its label names."),
    )
    presentation = forms.ChoiceField(
        label=_("Device you use"),
        required=False,
        help_text=_(
            "Pen or syringe, and its strength, as on the box. It sets how many devices each dose "
            "takes. Leave empty only if the medicine comes in one device."
        ),
    )
    specialist_plan = forms.BooleanField(
        label=_(
            "My specialist gave me a plan for my condition: start with these dates, my "
            "specialist will set the right ones."
        ),
        required=False,
    )
    prescriber_name = forms.CharField(
        label=_("Prescriber's name (optional)"), max_length=120, required=False
    )
    last_dose_on = forms.DateField(
        label=_("Already on this treatment? Date of your last injection (optional)"),
        widget=date_input(),
        required=False,
        help_text=_(
            "The doses from the first one to this one are logged in one step, on their planned "
            "days, so your plan starts from where you are."
        ),
    )
    # Sent by the confirmation step of a first injection long ago (issue 18, item 4).
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, patient: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.uncovered: tuple[Drug, str] | None = None
        self.fields["condition"].choices = [("", "---------"), *condition_choices()]
        # Presentation keys repeat across drugs ("pen-80mg"): the value names the drug too.
        devices: dict[str, list[tuple[str, str]]] = {}
        for drug in Drug.objects.order_by("inn"):
            group = f"{drug.inn} ({drug.brands})"
            devices[group] = [(f"{drug.inn}:{p.key}", str(p)) for p in drug.presentations]
        self.fields["presentation"].choices = [("", "---------"), *devices.items()]
        self.today = timeutils.local_today(patient.zone)
        # Group the regimens under their medicine so that a select without JavaScript is enough.
        groups: dict[str, list[tuple[int, str]]] = {}
        field = self.fields["regimen"]
        for regimen in field.queryset:
            group = f"{regimen.drug.inn} ({regimen.drug.brands})"
            groups.setdefault(group, []).append((regimen.pk, field.label_from_instance(regimen)))
        field.choices = [("", "---------"), *groups.items()]

    def clean(self):
        cleaned = super().clean()
        regimen = cleaned.get("regimen")
        if regimen is None:
            return cleaned
        if Treatment.objects.active().filter(patient=self.patient, drug=regimen.drug_id).exists():
            self.add_error(
                "regimen",
                _("You already follow a treatment with %(inn)s. Stop it first to start again.")
                % {"inn": regimen.drug.inn},
            )
        self._clean_presentation(regimen, cleaned)
        condition = cleaned.get("condition")
        if condition and condition != regimen.indication:
            self._clean_condition(regimen, condition, cleaned)
        first, last = cleaned.get("first_dose_on"), cleaned.get("last_dose_on")
        if last is not None and last > self.today:
            self.add_error(
                "last_dose_on",
                _("This date is in the future: give the date of an injection already taken."),
            )
        elif first is not None and last is not None and last < first:
            self.add_error(
                "last_dose_on",
                _(
                    "Your last injection cannot come before your first one (%(date)s): "
                    "check both dates."
                )
                % {"date": formats.date_format(first, "DATE_FORMAT")},
            )
        return cleaned

    def _clean_presentation(self, regimen: Regimen, cleaned: dict) -> None:
        drug, value = regimen.drug, cleaned.get("presentation") or ""
        cleaned["presentation_key"] = ""
        if not value:
            if len(drug.presentation_rows) > 1:
                self.add_error(
                    "presentation",
                    _("%(inn)s comes in several devices: choose the one you use.")
                    % {"inn": drug.inn},
                )
            return
        inn, _sep, key = value.partition(":")
        if inn != drug.inn:
            self.add_error(
                "presentation",
                _("This device is not one of %(inn)s's: choose one listed under %(inn)s.")
                % {"inn": drug.inn},
            )
        elif key not in dict(presentation_choices(regimen)):
            self.add_error(
                "presentation",
                _("This device cannot give every dose of this regimen in whole devices."),
            )
        else:
            cleaned["presentation_key"] = key
            twin = device_twin(regimen, drug.presentation(key))
            if twin is not None:
                self.add_error(
                    "regimen",
                    _("With this device, choose the regimen written for it: %(label)s")
                    % {"label": twin.label},
                )

    def _clean_condition(self, regimen: Regimen, condition: str, cleaned: dict) -> None:
        """A regimen for another condition: point to the drug's plan for this condition, or,
        when the catalogue holds none, start only if the patient says the specialist's plan
        applies (the specialist then sets the dates: they can move each planned dose)."""
        wanted = Indication(condition).label
        if regimen.drug.regimens.filter(indication=condition).exists():
            self.add_error(
                "regimen",
                _("This regimen is for %(for)s. Choose the %(inn)s regimen for %(condition)s.")
                % {
                    "for": regimen.get_indication_display(),
                    "inn": regimen.drug.inn,
                    "condition": wanted,
                },
            )
        elif not cleaned.get("specialist_plan"):
            self.uncovered = (regimen.drug, str(wanted))
            self.add_error(
                "specialist_plan",
                _(
                    "We hold no %(inn)s plan for %(condition)s: the regimens here are for other "
                    "conditions. Tick this box to start with your specialist's plan; they can "
                    "then set your dates."
                )
                % {"inn": regimen.drug.inn, "condition": wanted},
            )


class PresentationForm(RequiredMessages, forms.Form):
    """Which device a patient uses, for a treatment started before it was asked."""

    presentation = forms.ChoiceField(label=_("Device you use"), widget=forms.RadioSelect)

    def __init__(self, *args, treatment: Treatment, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presentation"].choices = presentation_choices(treatment.regimen)


class InjectionForm(RequiredMessages, forms.Form):
    """Date and time are entered in the patient's home zone and checked against DST changes."""

    required_messages = {  # noqa: RUF012
        "taken_date": _("Enter the date of the injection."),
        "taken_time": _("Enter the time of the injection, for example 09:30."),
        "dose_number": _("Choose the dose you took."),
        "site": _("Choose where you injected."),
    }

    taken_date = PlausibleDateField(label=_("Date"), widget=date_input())
    taken_time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    dst_fold = forms.TypedChoiceField(
        label=_("This time happened twice that night. Which one?"),
        choices=[
            (0, _("The first one (before the clocks went back)")),
            (1, _("The second one (after the clocks went back)")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    dose_number = forms.TypedChoiceField(label=_("Dose"), coerce=int)
    site = forms.ChoiceField(
        label=_("Injection site"),
        choices=[(site.value, site.label) for site in InjectionSite.body_sites()],
        widget=forms.RadioSelect,
    )
    pack = forms.TypedChoiceField(
        label=_("Pack used"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Suggested: the pack that expires first. Its batch is kept with the dose."),
    )
    lot_number = forms.CharField(
        label=_("Lot number (optional)"),
        max_length=40,
        required=False,
        help_text=_("Left empty, the batch of the pack used is recorded."),
    )
    reaction = forms.ChoiceField(
        label=_("Reaction at the site"),
        choices=Reaction.choices,
        initial=Reaction.NONE,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Sent by the confirmation step: the patient has read the date written out and keeps it.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        treatment: Treatment,
        doses: list[dosing.PlannedDose],
        instance: Injection | None = None,
        now: datetime | None = None,
        sites: list[SiteUse] | None = None,
        suggested_site: str | None = None,
        packs: list[StockDelivery] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.treatment = treatment
        # Only this treatment's usable packs (and the entry's own): another pk is refused.
        self.packs = {p.pk: p for p in packs or []}
        self.fields["pack"].choices = [("", _("Not recorded"))] + [
            (p.pk, pack_label(p)) for p in self.packs.values()
        ]
        self.instance = instance
        self.now = now or timezone.now()
        self.zone = treatment.patient.zone
        self.fields["dose_number"].choices = [
            (dose.number, self.dose_label(dose)) for dose in doses
        ]
        if sites:
            self.fields["site"].choices = [
                (use.site.value, self.site_label(use, suggested=use.site == suggested_site))
                for use in sites
            ]
        self.taken_at: datetime | None = None
        self.show_fold = False

    @staticmethod
    def site_label(use: SiteUse, *, suggested: bool) -> str:
        if use.last_used is None:
            when = _("never used")
        else:
            when = _("last used on %(date)s") % {
                "date": formats.date_format(use.last_used, "DATE_FORMAT")
            }
        label = f"{use.site.label} · {when}"
        if suggested:
            hint = _("suggested")
            return f"{label} · {hint}"
        return label

    @staticmethod
    def dose_label(dose: dosing.PlannedDose) -> str:
        return _("Dose %(number)s, planned on %(date)s") % {
            "number": dose.number,
            "date": formats.date_format(dose.date, "DATE_FORMAT"),
        }

    def clean(self):
        cleaned = super().clean()
        day, at = cleaned.get("taken_date"), cleaned.get("taken_time")
        if day is None or at is None:
            return cleaned
        try:
            self.taken_at = timeutils.local_to_utc(day, at, self.zone, fold=cleaned.get("dst_fold"))
        except timeutils.NonExistentLocalTime:
            self.add_error(
                "taken_time",
                _(
                    "This time did not exist on %(date)s: the clocks jumped forward one hour. "
                    "Please check the time."
                )
                % {"date": formats.date_format(day, "DATE_FORMAT")},
            )
            return cleaned
        except timeutils.AmbiguousLocalTime:
            self.show_fold = True
            self.add_error(
                "dst_fold",
                _("The clocks went back that night, so %(time)s happened twice: choose one.")
                % {"time": at.strftime("%H:%M")},
            )
            return cleaned
        if self.taken_at > self.now:
            self.add_error("taken_date", _("This date and time are in the future."))
        elif day < self.treatment.first_dose_on:
            self.add_error(
                "taken_date",
                _("This is before the treatment started (%(date)s).")
                % {"date": formats.date_format(self.treatment.first_dose_on, "DATE_FORMAT")},
            )
        dose_number = cleaned.get("dose_number")
        if dose_number is not None:
            duplicate = self.treatment.injections.live().filter(dose_number=dose_number)
            if self.instance is not None:
                duplicate = duplicate.exclude(pk=self.instance.pk)
            if duplicate.exists():
                self.add_error(
                    "dose_number", _("Dose %(number)s is already logged.") % {"number": dose_number}
                )
        return cleaned

    def injection_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "dose_number": data["dose_number"],
            "taken_at": self.taken_at,
            "site": data["site"],
            "lot_number": data["lot_number"],
            "pack": self.packs.get(data.get("pack")),
            "reaction": data["reaction"],
            "note": data["note"],
        }
