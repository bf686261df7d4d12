import unicodedata
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    CLINICIAN = "clinician", _("Clinician")


def canonical_email(value: str) -> str:
    """The one spelling of an address typed at log-in: NFKC (a fullwidth "ｃ" is a "c"), no
    surrounding spaces, lower case as stored. The account lookup compares it with the stored
    address lowered, and the failure count is kept under it, so every spelling that can sign in
    to an account shares that account's count; a spelling that lowers to something else (a
    dotless "ı", which PostgreSQL's case-insensitive match would have taken for an "i") finds
    no account at all."""
    return unicodedata.normalize("NFKC", str(value)).strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "User":
        # No address is longer than the field: a longer one is nobody, and is not sent to the
        # database (SQLite refuses a LIKE pattern over 50,000 bytes, a 500 on the log-in page).
        if len(username) > self.model._meta.get_field("email").max_length:
            raise self.model.DoesNotExist
        return self.alias(email_lower=Lower("email")).get(email_lower=canonical_email(username))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True, role=Role.CLINICIAN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address: a patient or a clinician."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    display_name = models.CharField(_("display name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.PATIENT)
    time_zone = models.CharField(
        _("home time zone"),
        max_length=64,
        default=settings.DEFAULT_PATIENT_TIME_ZONE,
        validators=[validate_time_zone],
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    health_data_consent_at = models.DateTimeField(null=True, blank=True)
    privacy_notice_version = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    # When the owner of the address proved it (the link of the sign-up e-mail). A sign-up makes
    # the account inactive with this empty until then (patients/signup.py); accounts made any
    # other way (the admin, createsuperuser, seed_demo) are confirmed when made.
    email_confirmed_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every other session at once (2FA changed, "sign out everywhere else"): it is
    # part of the session's auth hash, as the password is.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's HMAC of the password, with the session epoch mixed in once it moved (so the
        sessions made before this field existed stay valid)."""
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "patients.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def must_use_two_factor(self) -> bool:
        """Clinicians see health data and staff run the admin: a password alone is not enough."""
        return self.is_clinician or self.is_staff or self.is_superuser

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
