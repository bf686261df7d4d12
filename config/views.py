"""Site-wide views: the home page, language switching and the health check."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from config.celery import app as celery_app
from config.http import HtmxHttpRequest

logger = logging.getLogger(__name__)


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_patient:
        return redirect("patients:dashboard")
    return render(request, "home.html")


@require_GET
def privacy(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "privacy.html", {"version": settings.PRIVACY_NOTICE_VERSION})


@require_POST
def set_language(request: HtmxHttpRequest) -> HttpResponse:
    """Django's set_language, remembering the choice on the signed-in person's profile."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("healthz: database check failed", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("healthz: broker check failed", exc_info=True)
        return False


def _cache_ok() -> bool:
    """A shared cache (Redis) holds the rate limits; a per-process memory cache cannot fail."""
    try:
        cache.get("healthz")
        return True
    except Exception:
        logger.warning("healthz: cache check failed", exc_info=True)
        return False


def _health(checks: dict) -> JsonResponse:
    """200 and {"status": "ok", …} when every check answers, else 503 naming what failed.
    No session, user or template: a probe every few seconds costs one query."""
    state = {name: check() for name, check in checks.items()}
    body = {"status": "ok" if all(state.values()) else "unavailable"}
    body |= {name: "ok" if up else "unavailable" for name, up in state.items()}
    return JsonResponse(body, status=200 if all(state.values()) else 503)


@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> HttpResponse:
    """Every dependency: the database, the broker and a shared cache. For monitoring: a broker
    that is down stops reminders, not pages."""
    checks = {"database": _database_ok, "broker": _broker_ok}
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        checks["cache"] = _cache_ok
    return _health(checks)


@never_cache
@require_GET
def readyz(request: HtmxHttpRequest) -> HttpResponse:
    """For the load balancer: can this web process serve pages? Only the database decides; the
    web never talks to the broker, so a Redis outage must not take every web process out."""
    return _health({"database": _database_ok})
