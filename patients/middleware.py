"""The account-related middlewares: the signed-in person's time zone, the htmx redirect to the
log-in page, session timeouts and the second factor. The site-wide ones (request size, NUL in the
path, no-store, no file uploads) are in config/middleware.py."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from patients import security


class UserTimezoneMiddleware:
    """Show times in the signed-in person's home zone; the database stays in UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """A signed-out htmx request would follow the redirect to the log-in page and swap that
    page into a fragment; the browser is sent to it instead (HX-Redirect)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response["Location"].split("?")[0] == resolve_url(settings.LOGIN_URL)
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response


class SessionTimeoutMiddleware:
    """Ends a session idle too long or too old (patients/security.py, session_policy): the
    session is flushed and the person sent to log in again, with a message saying why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (ended := security.session_end(request, user)):
            next_url = request.get_full_path()
            if getattr(request, "htmx", False) and request.htmx.current_url_abs_path:
                next_url = request.htmx.current_url_abs_path  # the page, not the fragment
            logout(request)
            messages.info(request, security.session_end_message(ended))
            return redirect_to_login(next_url)
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """Defence in depth: a specialist's or staff member's session that was not verified by a
    second factor (however it came to be) opens nothing but the second step and log-out. It is
    turned back into a pending log-in, so the code it then asks for is the only way on."""

    open_views = frozenset({"login_verify", "login_enrol", "logout", "login", "set_language"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if (
            not user.is_authenticated
            or not user.must_use_two_factor
            or user.is_verified()
            or request.resolver_match.url_name in self.open_views
        ):
            return None
        next_url = request.get_full_path() if request.method == "GET" else ""
        logout(request)
        security.start_second_step(request, user=user, remember=False, next_url=next_url)
        target = reverse("login_verify" if security.has_two_factor(user) else "login_enrol")
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)
