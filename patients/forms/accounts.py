"""Sign-up, log-in, second factor, profile and account deletion."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
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


class EvenPasswordResetForm(PasswordResetForm):
    """The password reset does the same work for an unknown address as for a known one (issue
    17, item 3: 19 ms against 11 ms told who has an account): the same lookup, the same token,
    the same templates rendered and the same mail backend opened; only the message, having no
    recipient, is not transmitted."""

    def get_users(self, email):
        """Looked up once (save asks twice)."""
        if not hasattr(self, "_users"):
            self._users = list(super().get_users(email))
        return iter(self._users)

    def save(self, *args, **kwargs) -> None:
        email = self.cleaned_data["email"]
        if any(True for _user in self.get_users(email)):
            super().save(*args, **kwargs)
            return
        nobody = User(pk=0, email=email, password="!")
        domain = site_name = kwargs.get("domain_override")
        if not domain:  # as Django's save does, query included
            site = get_current_site(kwargs.get("request"))
            domain, site_name = site.domain, site.name
        context = {
            "email": email,
            "domain": domain,
            "site_name": site_name,
            "uid": urlsafe_base64_encode(force_bytes(nobody.pk)),
            "user": nobody,
            "token": (kwargs.get("token_generator") or default_token_generator).make_token(nobody),
            "protocol": "https" if kwargs.get("use_https") else "http",
            **(kwargs.get("extra_email_context") or {}),
        }
        self.send_mail(
            kwargs.get("subject_template_name", "registration/password_reset_subject.txt"),
            kwargs.get("email_template_name", "registration/password_reset_email.html"),
            context,
            kwargs.get("from_email"),
            "",  # no recipient: the backend opens its connection and transmits nothing
            html_email_template_name=kwargs.get("html_email_template_name"),
        )
