"""Sign-up, log-in, second factor, profile and account deletion."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import ZoneSelect, time_zone_choices
from patients.models import (
    User,
)


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
        widgets = {"time_zone": ZoneSelect(choices=time_zone_choices)}

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
        widgets = {"time_zone": ZoneSelect(choices=time_zone_choices)}


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
