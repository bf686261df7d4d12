"""The care team: a clinician's sign-up, invitation codes, the clinic's patient filter."""

from datetime import timedelta

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from patients.forms.accounts import PrivateSignupMixin
from patients.forms.fields import RequiredMessages, ZoneSelect, date_input, time_zone_choices
from patients.models import (
    ClinicianProfile,
    User,
)
from patients.models.care import validate_registration_number


class ClinicianSignupForm(RequiredMessages, PrivateSignupMixin, UserCreationForm):
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
        widgets = {"time_zone": ZoneSelect(choices=time_zone_choices)}

    def profile_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("specialty", "institution", "registration_number")
        }


class InvitationCodeForm(RequiredMessages, forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        help_text=_("12 letters and digits, as given to you, e.g. ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class PatientFilterForm(RequiredMessages, forms.Form):
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


class DoseOverrideForm(RequiredMessages, forms.Form):
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
