import zoneinfo

from django.conf import settings
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect


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
