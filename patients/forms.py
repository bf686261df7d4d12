import zoneinfo
from datetime import date, datetime, timedelta

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from patients import timeutils
from patients.models import (
    ClinicianProfile,
    Injection,
    InjectionSite,
    Reaction,
    ReminderSettings,
    Result,
    Treatment,
    Trip,
    User,
)
from patients.models.care import validate_registration_number
from patients.travel import MAX_TRIP_DAYS, zones_of
from patients.treatments import SiteUse
from therapies import dosing
from therapies.models import CompletedBy, Drug, Regimen


def date_input() -> forms.DateInput:
    """A native date picker; it only understands ISO dates, whatever the page's language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc/" not in z)
    return [(z, z.replace("_", " ")) for z in zones]


class SignupForm(UserCreationForm):
    consent = forms.BooleanField(
        label=_(
            "I agree that this service stores and processes my health data (treatment, "
            "injections) to provide the injection tracker, as described in the privacy notice."
        ),
        error_messages={"required": _("We cannot keep your health data without your consent.")},
    )

    class Meta:
        model = User
        fields = ("email", "display_name", "time_zone")
        widgets = {"time_zone": forms.Select(choices=time_zone_choices)}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account already uses this e-mail address."))
        return email


class LoginForm(AuthenticationForm):
    remember = forms.BooleanField(
        label=_("Stay signed in on this device"),
        help_text=_(
            "For up to 14 days. Leave it unticked on a shared computer. "
            "Specialists are always signed out after 30 minutes without activity."
        ),
        required=False,
    )


class CodeForm(forms.Form):
    """A code from the authenticator app (6 digits) or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )

    def __init__(self, *args, recovery: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = (
            _("The 6 digits your authenticator app shows, or one of your recovery codes.")
            if recovery
            else _("The 6 digits your authenticator app shows.")
        )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "time_zone", "language")
        widgets = {"time_zone": forms.Select(choices=time_zone_choices)}


class RegimenChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Regimen) -> str:
        note = f" ({obj.weight_note})" if obj.weight_note else ""
        return f"{obj.label}{note}"


class StartTreatmentForm(forms.Form):
    regimen = RegimenChoiceField(
        queryset=Regimen.objects.select_related("drug").order_by("drug__inn", "position"),
        label=_("Medicine and regimen"),
        help_text=_("As written on your prescription. Ask your specialist if unsure."),
    )
    first_dose_on = forms.DateField(
        label=_("Date of the first injection"),
        widget=date_input(),
        help_text=_("Week 0 of the regimen. It may be in the past or planned."),
    )
    prescriber_name = forms.CharField(
        label=_("Prescriber's name (optional)"), max_length=120, required=False
    )

    def __init__(self, *args, patient: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
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
        if (
            regimen
            and Treatment.objects.active()
            .filter(patient=self.patient, drug=regimen.drug_id)
            .exists()
        ):
            self.add_error(
                "regimen",
                _("You already follow a treatment with %(inn)s. Stop it first to start again.")
                % {"inn": regimen.drug.inn},
            )
        return cleaned


class InjectionForm(forms.Form):
    """Date and time are entered in the patient's home zone and checked against DST changes."""

    taken_date = forms.DateField(label=_("Date"), widget=date_input())
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
        label=_("Injection site"), choices=InjectionSite.choices, widget=forms.RadioSelect
    )
    lot_number = forms.CharField(label=_("Lot number (optional)"), max_length=40, required=False)
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

    def __init__(
        self,
        *args,
        treatment: Treatment,
        doses: list[dosing.PlannedDose],
        instance: Injection | None = None,
        now: datetime | None = None,
        sites: list[SiteUse] | None = None,
        suggested_site: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.treatment = treatment
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
            "reaction": data["reaction"],
            "note": data["note"],
        }


class StockForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=date_input())
    devices = forms.IntegerField(
        label=_("Number of devices (pens or syringes)"), min_value=1, max_value=100
    )

    def __init__(self, *args, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > self.today:
            raise forms.ValidationError(_("This date is in the future."))
        return received_on


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password, to confirm"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


LEAD_DAY_CHOICES = [
    (7, _("A week before")),
    (3, _("3 days before")),
    (2, _("2 days before")),
    (1, _("The day before")),
    (0, _("On the day")),
]


class ReminderSettingsForm(forms.ModelForm):
    lead_days = forms.TypedMultipleChoiceField(
        label=_("Remind me of a coming dose"),
        choices=LEAD_DAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day, or pause the reminders.")},
    )
    hour = forms.TypedChoiceField(
        label=_("At"),
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        help_text=_("In your home time zone (set in your profile)."),
    )

    class Meta:
        model = ReminderSettings
        fields = ("lead_days", "hour", "by_email", "in_app", "paused", "calendar_discreet")

    def clean_lead_days(self) -> list[int]:
        return sorted(set(self.cleaned_data["lead_days"]), reverse=True)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("paused") and not (cleaned.get("by_email") or cleaned.get("in_app")):
            self.add_error(
                "by_email",
                _("Choose at least one way to be reminded, or pause the reminders."),
            )
        return cleaned


# --- Care team and checklists --------------------------------------------------------------------


class ClinicianSignupForm(UserCreationForm):
    specialty = forms.CharField(label=_("Specialty"), max_length=100)
    institution = forms.CharField(
        label=_("Institution"), max_length=150, help_text=_("Hospital, clinic or practice.")
    )
    # A model field's validators are not part of its form field: give this one explicitly.
    registration_number = ClinicianProfile._meta.get_field("registration_number").formfield(
        validators=[validate_registration_number]
    )
    confirm = forms.BooleanField(
        label=_(
            "I am a health professional and the information above is true. I understand that an "
            "administrator checks it before I can see any patient."
        ),
        error_messages={"required": _("Please confirm, so that we can check your account.")},
    )

    class Meta:
        model = User
        fields = ("email", "display_name", "time_zone")
        widgets = {"time_zone": forms.Select(choices=time_zone_choices)}

    clean_email = SignupForm.clean_email

    def profile_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("specialty", "institution", "registration_number")
        }


class InvitationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        help_text=_("12 letters and digits, as given to you, e.g. ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def not_in_future(today):
    def check(value):
        if value > today:
            raise forms.ValidationError(_("This date is in the future."))

    return check


class DoseOverrideForm(forms.Form):
    """A clinician moves one planned dose; the doses after it keep their dates."""

    dose_number = forms.TypedChoiceField(label=_("Dose"), coerce=int)
    date = forms.DateField(label=_("New date"), widget=date_input())

    def __init__(self, *args, upcoming: list, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["dose_number"].choices = [
            (
                dose.number,
                _("Dose %(number)s, planned on %(date)s")
                % {"number": dose.number, "date": formats.date_format(dose.date)},
            )
            for dose in upcoming
        ]

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not (self.today - timedelta(days=366) <= day <= self.today + timedelta(days=366)):
            raise forms.ValidationError(_("Choose a date within a year of today."))
        return day


class NewChecklistForm(forms.Form):
    drug = forms.ModelChoiceField(
        label=_("Planned medicine"),
        queryset=Drug.objects.all(),
        help_text=_("The checklist starts from the checks for this medicine's class."),
    )


class ChecklistItemForm(forms.Form):
    label = forms.CharField(label=_("Item"), max_length=120)
    completed_by = forms.ChoiceField(label=_("Who does it"), choices=CompletedBy.choices)
    records_result = forms.BooleanField(
        label=_("A result is recorded (normal, abnormal, follow-up needed)"), required=False
    )
    due_on = forms.DateField(label=_("Due date (optional)"), required=False, widget=date_input())


class DueDateForm(forms.Form):
    due_on = forms.DateField(label=_("Due date"), required=False, widget=date_input())


class ItemDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=date_input())
    done_note = forms.CharField(
        label=_("Note (optional)"),
        max_length=500,
        required=False,
        help_text=_("For example the laboratory. Your specialist reads it."),
    )

    def __init__(self, *args, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_on"].validators.append(not_in_future(today))


class VerifyItemForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=date_input())
    result = forms.ChoiceField(
        label=_("Result"), choices=[("", "—"), *Result.choices], required=False
    )

    def __init__(self, *args, item, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["done_on"].validators.append(not_in_future(today))
        if item.records_result:
            self.fields["result"].required = True
            self.fields["result"].error_messages["required"] = _("Choose the result.")
        else:
            del self.fields["result"]

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("result", "")
        return cleaned


class ShareLinkForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(7, _("7 days")), (30, _("30 days"))],
        initial=7,
    )


class PatientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), max_length=100, required=False)
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("All patients")),
            ("overdue", _("Overdue dose")),
            ("incomplete", _("Checklist not complete")),
        ],
    )


class TripForm(forms.ModelForm):
    """A trip and the traveller's details for the letters.

    The destination's time zone is chosen among the zones of the chosen country: with htmx the
    list follows the country as it changes; without JavaScript a country whose zone is missing
    or from another country comes back with its own list and a message, nothing else lost.
    """

    destination_time_zone = forms.ChoiceField(
        label=_("time zone at the destination"),
        error_messages={
            "required": _("Choose the time zone at your destination."),
            "invalid_choice": _("Choose one of the time zones of this country."),
        },
    )

    class Meta:
        model = Trip
        fields = (
            "destination",
            "destination_time_zone",
            "departs_on",
            "returns_on",
            "means",
            "spare_doses",
            "traveller_name",
            "date_of_birth",
            "passport_number",
            "diagnosis",
        )
        widgets = {
            "departs_on": date_input(),
            "returns_on": date_input(),
            "date_of_birth": date_input(),
            "passport_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if self.is_bound:
            country = self.data.get("destination")
        else:
            country = self.initial.get("destination") or self.instance.destination
        zones = zones_of(country or "")
        self.fields["destination_time_zone"].choices = [("", "---------")] + [
            (zone, zone.replace("_", " ")) for zone in zones
        ]
        if len(zones) == 1 and not self.is_bound:
            self.initial.setdefault("destination_time_zone", zones[0])
        self.fields["destination_time_zone"].help_text = (
            "" if zones else _("Choose the country first: its time zones are listed here.")
        )
        self.fields["passport_number"].help_text = _(
            "Optional: printed on the letters only. Never sent by e-mail."
        )

    def full_clean(self):
        if self.is_bound:
            zones = zones_of(self.data.get("destination", ""))
            zone = self.data.get("destination_time_zone", "")
            if len(zones) == 1 and zone not in zones:
                self.data = self.data.copy()
                self.data["destination_time_zone"] = zones[0]
        super().full_clean()

    def clean(self):
        cleaned = super().clean()
        departs, returns = cleaned.get("departs_on"), cleaned.get("returns_on")
        if departs and returns:
            if returns < departs:
                self.add_error("returns_on", _("The return cannot be before the departure."))
            elif (returns - departs).days >= MAX_TRIP_DAYS:
                self.add_error(
                    "returns_on", _("Plan trips of up to a year; split a longer stay in parts.")
                )
        if departs and departs < self.today and departs != self.instance.departs_on:
            self.add_error("departs_on", _("The departure cannot be in the past."))
        born = cleaned.get("date_of_birth")
        if born and not (date(1900, 1, 1) <= born <= self.today):
            self.add_error("date_of_birth", _("Enter your real date of birth."))
        return cleaned
