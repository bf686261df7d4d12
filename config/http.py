"""The request the views are typed with: Django's, plus what django-htmx's middleware adds."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """`request.htmx` is set on every request by `django_htmx.middleware.HtmxMiddleware`."""

    htmx: HtmxDetails
