"""Site-wide middlewares and upload handler: what every request goes through, whoever asks.

The account-related middlewares (time zone, htmx log-in redirect, session timeout, second
factor) live in patients/middleware.py.
"""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpResponse, QueryDict
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _


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


class RejectForeignCharsetMiddleware:
    """A request body announced in another charset than "utf-8" answers 400 (the 400 page)
    before anything reads it. Every form of the app is sent in UTF-8, and Django itself reads
    a form body only when its charset is spelled "utf-8"; but it refused it only on the first
    read of request.POST, and whatever read it again on the way out (the error page, the
    debug page listing the POST) failed once more: a 500 in production, a worker held about
    25 s in development (issue 17, item 7). Here nothing has read it yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = (getattr(request, "content_params", None) or {}).get("charset")
        if charset is not None and charset.strip().lower() != "utf-8":
            request._encoding = "utf-8"  # so that nothing reading the request later fails again
            request._post, request._files = QueryDict(), MultiValueDict()
            raise BadRequest("A request body in another charset than UTF-8.")
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
