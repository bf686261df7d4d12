import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
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


class RequestTooLargeMiddleware:
    """A body announced larger than DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 before anything
    reads it (Django alone would answer 400, as if the request were malformed). A chunked body
    announces no length: under ASGI Django's own RequestDataTooBig stops it (the 400 page);
    under WSGI (gunicorn) Django reads a body without a length as empty.

    Placed before CsrfViewMiddleware, the first one to read request.POST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if limit is not None and length > limit:
            return HttpResponse(
                _("This request is too large. Send less text and try again."),
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the path answers 400 (the 400 page). No path of the app holds one,
    and PostgreSQL can neither store nor compare a text holding one: a token looked up as it
    came (the calendar feed's) raised a DataError, a 500. The query string is left to the
    forms: Django's CharField refuses NUL with a message on the form, and the article search
    drops it and still answers (nothing typed is lost)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            raise BadRequest("A NUL character in the address.")
        return self.get_response(request)


# Anonymous visitors may keep these in a cache: the same for everyone, and no health data.
PUBLIC_NAMESPACES = {"content", "therapies"}
PUBLIC_URL_NAMES = {"home", "privacy"}


class PrivatePagesNoStoreMiddleware:
    """Nothing private may stay in a browser's or a proxy's cache: every response is
    `Cache-Control: no-store` unless an anonymous visitor asked for a public page (articles,
    glossary, search, therapies, home, privacy notice). Static files never reach this point
    (WhiteNoise answers them first, with its own long cache headers).

    A deny-by-default rule, so a page added later is private until someone says otherwise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not _public(request):
            add_never_cache_headers(response)
        return response


def _public(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    match = request.resolver_match
    if match is None:  # a 404 for an unknown address, say
        return False
    return match.app_name in PUBLIC_NAMESPACES or match.url_name in PUBLIC_URL_NAMES


class NoFileUploads(FileUploadHandler):
    """No form of the app takes a file (settings.FILE_UPLOAD_HANDLERS): a file part of a
    multipart body is read through in small chunks and dropped, never kept in memory or on
    disk. (An empty handler list would read the body in 2 GiB chunks instead.)"""

    def new_file(self, *args, **kwargs):
        raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None
