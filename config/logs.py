"""Request logs: one line per request, JSON in production, without health data.

A line names the route *pattern* ("treatments/<int:pk>/injections/new/"), never the path, whose
values may be share tokens or calendar keys, nor the query string, the body, or an e-mail
address: the person is their user id. Every line logged during a request carries its request id
(the proxy's `X-Request-ID`, or a new one), which the response sends back.
"""

import contextvars
import logging
import re
import time
import uuid

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id looks like (nginx's $request_id, a UUID…); anything else is replaced, so a
# client cannot write what it likes into the logs.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Probed every few seconds by the load balancer: below the default level, so not logged.
QUIET_ROUTES = frozenset({"healthz", "readyz"})

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
logger = logging.getLogger("config.requests")


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole stack and sees the response every request ends with
    (a redirect to HTTPS, a 404, the 500 page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = rid
            log_request(request, response, duration=time.perf_counter() - started)
            return response
        finally:
            request_id.reset(token)


def log_request(request, response, *, duration: float) -> None:
    match = getattr(request, "resolver_match", None)
    route = match.route if match else None
    view = match.view_name if match else None
    size = None if response.streaming else len(response.content)
    # The user only if the request already loaded them: asking here would cost a query on pages
    # that never needed to know (the cache of django.contrib.auth.middleware.get_user).
    user = getattr(request, "_cached_user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    level = logging.DEBUG if view in QUIET_ROUTES else logging.INFO
    logger.log(
        level,
        "%s %s %s %.1fms",
        request.method,
        route or "-",
        response.status_code,
        duration * 1000,
        extra={
            "method": request.method,
            "route": route,
            "view": view,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 1),
            "bytes": size,
            "user_id": user_id,
        },
    )


class RequestContextFilter(logging.Filter):
    """On every record: the request id; and no request path in Django's own messages.

    django.request ("Internal Server Error: /shared/checklists/<token>/") and django.security
    pass the path as an argument and the request as `record.request`: the path becomes its
    route, and the request object is never written out (its text repeats the query string).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if path is not None and isinstance(record.args, tuple):
            escaped = path.encode("unicode_escape").decode("ascii")
            match = getattr(request, "resolver_match", None)
            shown = match.route if match else "-"
            record.args = tuple(shown if arg in (path, escaped) else arg for arg in record.args)
        return True


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger with our field names; the request object and Django's server extras
    are left out (see RequestContextFilter)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        super().__init__(*args, **kwargs)


def logging_config(*, log_format: str, level: str) -> dict:
    """settings.LOGGING: every record through one console handler, in `log_format` ("json" or
    "text"), with the request id and without request paths (RequestContextFilter); the root at
    `level`; the noisy or talkative loggers pinned (none of them may write health data)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": "config.logs.RequestContextFilter"}},
        "formatters": {
            "json": {"()": "config.logs.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request"],
            },
            # Errors to ADMINS when it is set (the report shows no POST value:
            # settings.DEFAULT_EXCEPTION_REPORTER_FILTER).
            "mail_admins": {
                "level": "ERROR",
                "class": "django.utils.log.AdminEmailHandler",
                "filters": ["request"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Through the root handler only (Django's default adds its own console handler in
            # DEBUG).
            "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
            # The request line already says 404 or 403; errors stay, with their traceback.
            "django.request": {"level": "ERROR"},
            # runserver's access line would repeat the request line, query string included.
            "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
            # WeasyPrint reports each rendering step at INFO, and its warnings name the URLs a
            # letter tried to load: errors only, so nothing of a letter reaches the logs.
            "weasyprint": {"level": "ERROR"},
            "weasyprint.progress": {"level": "ERROR"},
            "fontTools": {"level": "WARNING"},  # WeasyPrint's font subsetting, step by step
            # At DEBUG, a variable missing in a template logs the whole context (a treatment, a
            # trip's diagnosis): never, whatever level the rest of Django logs at.
            "django.template": {"level": "INFO"},
            # django-axes reports each log-in at INFO (masked); lock-outs are warnings.
            "axes": {"level": "WARNING"},
        },
    }
