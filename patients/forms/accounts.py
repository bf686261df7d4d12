"""Sign-up, log-in, second factor, profile and account deletion."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages, ZoneSelect, time_zone_choices
from patients.models import User
from patients.models.users import canonical_email
from patients.signup import PASSWORD_RESET_TASK, queue_task


class PrivateSignupMixin:
    """A sign-up form never says that an address has an account (issue 17, item 3): the
    address is only normalised here, and patients/signup.py answers a known one by e-mail."""

    def clean_email(self) -> str:
        return canonical_email(self.cleaned_data["email"])

    def _get_validation_exclusions(self):
        # Neither the unique column nor the case-insensitive constraint is checked here.
        return {*super()._get_validation_exclusions(), "email"}


class SignupForm(RequiredMessages, PrivateSignupMixin, UserCreationForm):
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


class ConfirmSignupForm(RequiredMessages, forms.Form):
    """The link of the sign-up e-mail, opened: the password chosen at sign-up confirms."""

    password = forms.CharField(
        label=_("The password you chose"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _(
                    "This is not the password chosen at sign-up. Forgotten? Sign up again with "
                    "the same address: a new link replaces this one."
                )
            )
        return password


class LoginForm(RequiredMessages, AuthenticationForm):
    remember = forms.BooleanField(
        label=_("Stay signed in on this device"),
        help_text=_(
            "For up to 14 days. Leave it unticked on a shared computer. "
            "Specialists are always signed out after 30 minutes without activity."
        ),
        required=False,
    )


class CodeForm(RequiredMessages, forms.Form):
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


class ProfileForm(RequiredMessages, forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "time_zone", "language")
        widgets = {"time_zone": ZoneSelect(choices=time_zone_choices)}


class DeleteAccountForm(RequiredMessages, forms.Form):
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


class EvenPasswordResetForm(RequiredMessages, PasswordResetForm):
    """The password reset does the same work for an unknown address as for a known one (issue
    17, item 3: 19 ms against 11 ms told who has an account): one lookup, then one task queued
    with the account's id or None; the worker renders and sends, so the request does no
    e-mail work for either (patients/signup.py, send_password_reset)."""

    def save(self, *args, **kwargs) -> None:
        users = list(self.get_users(self.cleaned_data["email"]))
        queue_task(PASSWORD_RESET_TASK, users[0].pk if users else None)
