"""Signing in: the second factor, recovery codes, how long a session lives, throttled log-ins.

A password alone never opens a session for someone who has (or must have) a second factor:
between the two steps the session holds only who is signing in, for a few minutes
(`start_second_step`), and `finish_login` is the one place that signs in after a code.
"""

import math
import time
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth import login, update_session_auth_hash
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import User

PENDING_KEY = "two_factor_pending"
LOGIN_AT_KEY = "login_at"
SEEN_AT_KEY = "seen_at"
REMEMBER_KEY = "remember"
# The last-activity stamp is rewritten at most this often, so most requests write nothing.
SEEN_AT_RESOLUTION = 60
BACKEND = "django.contrib.auth.backends.ModelBackend"
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


# --- Who needs what ------------------------------------------------------------------------------


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_second_step(user: User) -> bool:
    return user.must_use_two_factor or has_two_factor(user)


# --- Between the password and the code -----------------------------------------------------------


def start_second_step(request, *, user: User, remember: bool, next_url: str) -> None:
    """The password was right: remember who is signing in (not signed in yet), briefly. The
    password's hash is kept too, so a password reset in between voids this step."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "until": time.time() + settings.TWO_FACTOR_PENDING_SECONDS,
        "remember": remember,
        "next": next_url,
        "hash": user.get_session_auth_hash(),
    }


def pending_login(request) -> tuple[User | None, dict]:
    """The person between the two steps, or None when there is none or it took too long."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, {}
    user = None
    if time.time() <= pending["until"]:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), pending["hash"]):
        del request.session[PENDING_KEY]
        return None, {}
    return user, pending


def finish_login(request, *, user: User, device, remember: bool) -> None:
    """Both factors checked (or none needed): a new session, marked verified by `device`."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)
    if device is not None:
        otp_login(request, device)
    remember_device(request, user=user, remember=remember)


def finish_verified(request, *, device) -> None:
    """A signed-in patient just set up an authenticator: this session counts as verified by it;
    the others, which were not, end."""
    otp_login(request, device)
    sign_out_other_sessions(request)


# --- Codes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | StaticDevice | None  # the device that accepted the code
    error: str = ""
    throttled: bool = False


def check_code(user: User, code: str) -> CodeCheck:
    """Six digits are checked against the authenticator app, anything else against the
    recovery codes (each works once). django-otp throttles each device: after a wrong code,
    the next one is refused for 1, 2, 4… seconds, whatever it is."""
    code = "".join(code.split()).lower()
    if code.isdigit() and len(code) == 6:
        devices = [d for d in devices_for_user(user) if isinstance(d, TOTPDevice)]
    else:
        devices = [d for d in devices_for_user(user) if isinstance(d, StaticDevice)]
    for device in devices:
        check = check_device(device, code)
        if check.device is not None or check.throttled:
            return check
    return CodeCheck(None, wrong_code())


def check_device(device, code: str) -> CodeCheck:
    """One device: refused while throttled (saying how long to wait), else the code's check."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))
        return CodeCheck(None, too_many_codes(wait), throttled=True)
    if device.verify_token("".join(code.split())):
        return CodeCheck(device)
    return CodeCheck(None, wrong_code())


def wrong_code() -> str:
    return _("This code is not right. Check it and try again.")


def too_many_codes(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second and try again.",
        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret on every reload until it is confirmed."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(*, device: TOTPDevice) -> list[str]:
    """The first code was right: the authenticator counts from now on; new recovery codes."""
    TOTPDevice.objects.filter(user=device.user_id).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user=device.user)


@transaction.atomic
def new_recovery_codes(*, user: User) -> list[str]:
    """Ten single-use codes, shown once; the previous ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def turn_off_two_factor(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def qr_code(url: str) -> str:
    """An inline SVG QR code (no script, no style attribute: the CSP stays strict)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, title=_("QR code to scan with your authenticator app"), svgclass="qr"
    )
    return mark_safe(svg)  # segno builds this markup around the otpauth:// URL django-otp built


def readable_secret(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, to type into an app by hand."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- Sessions ------------------------------------------------------------------------------------


def sign_out_other_sessions(request) -> None:
    """Every other session of this person stops working; this one goes on. The epoch is part of
    the session's auth hash (User._get_session_auth_hash)."""
    user = request.user
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    update_session_auth_hash(request, user)  # a new key; the data (verified device) stays


@dataclass(frozen=True)
class SessionPolicy:
    idle: int | None  # seconds without a request; None: no idle limit
    absolute: int  # seconds after the log-in


def session_policy(user: User, *, remember: bool) -> SessionPolicy:
    if user.must_use_two_factor:
        return SessionPolicy(
            settings.SESSION_IDLE_TIMEOUT_CLINICIAN, settings.SESSION_ABSOLUTE_TIMEOUT_CLINICIAN
        )
    if remember:
        return SessionPolicy(
            None, min(settings.SESSION_REMEMBER_PATIENT, settings.SESSION_ABSOLUTE_TIMEOUT_PATIENT)
        )
    return SessionPolicy(
        settings.SESSION_IDLE_TIMEOUT_PATIENT, settings.SESSION_ABSOLUTE_TIMEOUT_PATIENT
    )


def stamp_login(sender, request, user, **kwargs) -> None:
    """At every log-in: connected to `user_logged_in` (patients/apps.py) so that no way in (the
    admin, a test's force_login) opens a session without its clock."""
    session = request.session
    now = int(time.time())
    session[LOGIN_AT_KEY] = now
    session[SEEN_AT_KEY] = now
    session[REMEMBER_KEY] = False
    session.set_expiry(0)  # a browser-session cookie unless "stay signed in" says otherwise


def remember_device(request, *, user: User, remember: bool) -> None:
    """A patient who ticked "stay signed in" keeps a cookie that outlives the browser."""
    remember = remember and not user.must_use_two_factor
    request.session[REMEMBER_KEY] = remember
    request.session.set_expiry(session_policy(user, remember=True).absolute if remember else 0)


def session_end(request, user: User) -> SessionPolicy | None:
    """The policy that ended this session (idle or too old), or None; notes the activity."""
    session = request.session
    now = int(time.time())
    login_at, seen_at = session.get(LOGIN_AT_KEY), session.get(SEEN_AT_KEY)
    if login_at is None or seen_at is None:  # a session from before these stamps
        session[LOGIN_AT_KEY] = session[SEEN_AT_KEY] = now
        return None
    policy = session_policy(user, remember=session.get(REMEMBER_KEY, False))
    if now - login_at > policy.absolute:
        return SessionPolicy(None, policy.absolute)
    if policy.idle is not None and now - seen_at > policy.idle:
        return policy
    if now - seen_at >= SEEN_AT_RESOLUTION:
        session[SEEN_AT_KEY] = now
    return None


def session_end_message(ended: SessionPolicy) -> str:
    if ended.idle is not None:
        minutes = max(1, ended.idle // 60)
        return ngettext(
            "You were signed out after %(minutes)d minute without activity.",
            "You were signed out after %(minutes)d minutes without activity.",
            minutes,
        ) % {"minutes": minutes}
    return _("For your security, sessions end after a while: please log in again.")
