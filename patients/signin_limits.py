"""Throttled log-ins (django-axes): who is trying, the count per account across addresses and
spellings, the shared cache it needs in production, and what a locked-out person sees."""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.core import checks
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

from patients.models.users import canonical_email

# --- django-axes: who is trying, and what a locked-out person sees ------------------------------


def client_ip(request) -> str | None:
    """The client's address. X-Forwarded-For is written by whoever sends the request, so it is
    read only as far as our own proxies (TRUSTED_PROXY_COUNT): each one appends the address it
    saw, so the client is the N-th entry from the right; anything to its left may be forged.

    (django-ipware's "modern" algorithm answers None when the header holds more or fewer entries
    than proxies, which would put every client in one bucket.)"""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    return chain[-proxies] if len(chain) >= proxies else remote


# django-axes keeps the name typed in a 255-character column: PostgreSQL refuses a longer one
# (a 500 at log-in, found by tests/security/test_fuzz_forms.py). No address is that long.
AXES_USERNAME_LENGTH = 255


def login_username(request, credentials: dict | None) -> str:
    """The failure count's key: the address as the account lookup reads it (canonical_email),
    whether axes asks with the form's credentials or with the raw POST."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return canonical_email(value)[:AXES_USERNAME_LENGTH]


# Caches whose counters each process keeps alone: with them every rate limit is multiplied by the
# number of web processes (issue 17, item 4).
PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


def shared_cache_check(app_configs=None, **kwargs) -> list:
    """`check --deploy`: the rate limits (the public verification page's) count in the default
    cache, which must be shared by every web process: Redis (CACHE_URL) in production."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PROCESS_LOCAL_CACHES:
        return [
            checks.Error(
                "The default cache is kept by each process alone: rate limits would count per "
                "process, not per client.",
                hint="Set CACHE_URL to a redis:// URL shared by every web process.",
                id="patients.E017",
            )
        ]
    return []


def account_failures(username: str, *, since) -> int:
    """Failures on one account from every address since a moment."""
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


def account_ceiling_reached(request, credentials: dict | None) -> bool:
    """The per-account ceiling across addresses: AXES_ACCOUNT_FAILURE_LIMIT failures on one
    account within the cool-off, from any addresses, lock that account for every address
    that has not signed in to it lately (AccessLog, kept LOGIN_LOG_RETENTION_DAYS). So many
    addresses no longer mean unlimited guesses, while a stranger hammering an account cannot
    lock its owner out at home, and elsewhere only until the cool-off after their last try."""
    username = login_username(request, credentials)
    if not username:
        return False
    since = timezone.now() - get_cool_off(request)
    if account_failures(username, since=since) < settings.AXES_ACCOUNT_FAILURE_LIMIT:
        return False
    known_since = timezone.now() - timedelta(days=settings.LOGIN_LOG_RETENTION_DAYS)
    known_address = AccessLog.objects.filter(
        username=username, ip_address=client_ip(request), attempt_time__gte=known_since
    ).exists()
    return not known_address


class AccountCeilingHandler(AxesDatabaseHandler):
    """axes' database handler (per e-mail and address) plus the per-account ceiling."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or account_ceiling_reached(
            request, credentials
        )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # axes marks the request locked from the pair's count only: the middleware turns the
        # mark into the 429 page, so the ceiling marks it too.
        if request is not None and account_ceiling_reached(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(request, original_response, credentials):
    """HTTP 429, a page in the person's language, and Retry-After: the seconds until the
    cool-off that started at the last failure ends (the pair's, or the account's when the
    per-account ceiling is what locks)."""
    cool_off = get_cool_off(request)
    username = login_username(request, credentials)
    attempts = AccessAttempt.objects.filter(username=username)
    pair = attempts.filter(ip_address=client_ip(request))
    pair_failures = pair.aggregate(total=Sum("failures_since_start"))["total"] or 0
    locking = pair if pair_failures >= settings.AXES_FAILURE_LIMIT else attempts
    last = locking.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    now = timezone.now()
    seconds = max(1, math.ceil(((last or now) + cool_off - now).total_seconds()))
    context = {"minutes": math.ceil(seconds / 60)}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response
