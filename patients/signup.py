"""Sign-up that tells no one who has an account (issue 17, item 3), and the password reset's
e-mail, both sent by the worker.

A valid sign-up form answers the same page whatever the address: for an address nobody uses,
`request_signup` makes the account inactive and unconfirmed and the worker e-mails it a link;
for an address with an account, nothing is made and the worker e-mails its owner that someone
tried. Either way the request does the same work (a password hashed by the form, one locked
lookup, one task queued after the commit) and no e-mail work: the task carries an id only.

An unconfirmed account blocks nobody: a new sign-up for its address replaces it (a new id, so
the old link opens nothing), and the daily purge deletes it after SIGNUP_CONFIRMATION_DAYS.

The link is signed (SECRET_KEY), expires after SIGNUP_CONFIRMATION_DAYS, and opens once: it
binds the account's id to a fingerprint of its password hash, address and state, which the
confirmation changes. It carries no address and no health data. Opening it shows a form: the
password chosen at sign-up confirms (a link scanner fetching it confirms nothing, and someone
who used another person's address cannot have that person confirm it for them).
"""

from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from patients.emails import send_templated_email
from patients.models import ClinicianProfile, Role, User

SIGNUP_MAIL_TASK = "patients.tasks.send_signup_mail"
PASSWORD_RESET_TASK = "patients.tasks.send_password_reset"
TOKEN_SALT = "patients.signup.confirm"
TOKEN_MAX_LENGTH = 200  # a real token is about 70 characters
# The owner of an address is told at most this often that someone used it to sign up.
NOTICE_QUIET = timedelta(hours=1)


def confirmation_days() -> timedelta:
    return timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS)


# --- Queued after the commit: ids only ------------------------------------------------------------


def _enqueue(name: str, args: list) -> None:
    # By name (PatientsConfig.ready() imports patients.tasks): the tasks module imports this one.
    current_app.tasks[name].apply_async(args)


def queue_task(name: str, *args) -> None:
    """Once the transaction commits (at once outside one); robust: a broker that is down
    fails the e-mail, never the answer (the person can sign up or ask again)."""
    transaction.on_commit(partial(_enqueue, name, list(args)), robust=True)


# --- Sign-up ----------------------------------------------------------------------------------


@transaction.atomic
def request_signup(*, user: User, profile: dict | None, language: str, now: datetime) -> int:
    """`user` comes unsaved from a sign-up form (its password hashed); `profile` holds a
    clinician's specialty, institution and registration number (None for a patient). Queues
    the one e-mail of this sign-up and returns the id it goes to: the new account's, or the
    existing owner's."""
    email = user.email
    same_address = User.objects.alias(email_lower=Lower("email")).filter(email_lower=email)
    existing = same_address.select_for_update().first()
    if existing is not None and existing.email_confirmed_at is None and not existing.is_active:
        existing.delete()  # never confirmed: the new sign-up replaces it, and its old link
        existing = None
    if existing is None:
        user.role = Role.PATIENT if profile is None else Role.CLINICIAN
        user.language = language
        user.is_active, user.email_confirmed_at, user.date_joined = False, None, now
        if profile is None:  # the patient consents to the processing by signing up
            user.health_data_consent_at = now
            user.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the same address signed up at the same moment: one of them
            existing = same_address.get()
        else:
            if profile is not None:
                ClinicianProfile.objects.create(user=user, **profile)
    target = user.pk if existing is None else existing.pk
    queue_task(SIGNUP_MAIL_TASK, target)
    return target


def _fingerprint(user: User) -> str:
    state = f"{user.pk}:{user.password}:{user.email}:{user.is_active}:{user.email_confirmed_at}"
    return salted_hmac(TOKEN_SALT, state, algorithm="sha256").hexdigest()[:32]


def confirmation_token(user: User) -> str:
    return signing.dumps([user.pk, _fingerprint(user)], salt=TOKEN_SALT)


def pending_user(token: str) -> User | None:
    """The unconfirmed account this link was made for, or None (bad, expired, used, replaced)."""
    if len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        pk, fingerprint = signing.loads(token, salt=TOKEN_SALT, max_age=confirmation_days())
        user = User.objects.filter(pk=int(pk), is_active=False, email_confirmed_at=None).first()
    except (signing.BadSignature, TypeError, ValueError, OverflowError):
        return None
    if user is None or not constant_time_compare(_fingerprint(user), str(fingerprint)):
        return None
    return user


def confirm_signup(*, user: User, now: datetime) -> bool:
    """Activate the account once: of two clicks racing, one wins (True)."""
    confirmed = User.objects.filter(pk=user.pk, is_active=False, email_confirmed_at=None).update(
        is_active=True, email_confirmed_at=now
    )
    if confirmed:
        user.refresh_from_db()
    return confirmed == 1


def send_signup_mail(*, user_id: int) -> str:
    """The worker's half: a link to an unconfirmed account, or a word to the owner of a
    confirmed one (at most one an hour). Returns what was done, for the task's log line."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return "gone"  # replaced by a newer sign-up, or purged
    pending = user.email_confirmed_at is None and not user.is_active
    if not pending and not cache.add(f"signup-notice:{user.pk}", 1, NOTICE_QUIET.total_seconds()):
        return "quiet"
    with translation.override(user.language):
        if pending:
            url = reverse("signup_confirm", kwargs={"token": confirmation_token(user)})
            context = {"user": user, "confirm_url": settings.SITE_URL + url}
            context["days"] = settings.SIGNUP_CONFIRMATION_DAYS
            send_templated_email(to=user.email, name="signup_confirm", context=context)
            return "link"
        context = {
            "user": user,
            "login_url": settings.SITE_URL + reverse("login"),
            "reset_url": settings.SITE_URL + reverse("password_reset"),
        }
        send_templated_email(to=user.email, name="signup_exists", context=context)
        return "notice"


def purge_unconfirmed(*, now: datetime) -> int:
    """Delete the accounts never confirmed within SIGNUP_CONFIRMATION_DAYS of signing up."""
    stale = User.objects.filter(
        is_active=False, email_confirmed_at=None, date_joined__lt=now - confirmation_days()
    )
    return stale.delete()[1].get(User._meta.label, 0)


# --- Password reset -------------------------------------------------------------------------


def send_password_reset(*, user_id: int | None) -> str:
    """The worker's half of the reset form: the link to the active account `user_id`, or
    nothing when the address had none (the form queued None, as cheaply as an id)."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not user.has_usable_password():
        return "nobody"
    protocol, domain = settings.SITE_URL.split("://", 1)
    context = {
        "email": user.email,
        "domain": domain.rstrip("/"),
        "site_name": "Interleukin Care",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": protocol,
    }
    with translation.override(user.language):
        PasswordResetForm().send_mail(
            "registration/password_reset_subject.txt",
            "registration/password_reset_email.html",
            context,
            None,
            user.email,
        )
    return "link"
