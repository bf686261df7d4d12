"""The installable web app: its manifest, its service worker (at the site root, so its scope is
the whole site) and the page it shows without a network."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest

SHELL_VERSION = "1"  # bump when sw.js changes what it keeps


@require_GET
def manifest(request: HtmxHttpRequest) -> HttpResponse:
    icons = [
        {
            "src": static(f"img/app/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in (192, 512)
    ] + [
        {
            "src": static(f"img/app/icon-maskable-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "name": _("Interleukin Care"),
        "short_name": "IL Care",
        "description": _("Injection reminders, checklists and travel papers for biologics."),
        "lang": request.LANGUAGE_CODE,
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": "#0b5cad",
        "icons": icons,
        "prefer_related_applications": False,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HtmxHttpRequest) -> HttpResponse:
    context = {
        "version": SHELL_VERSION,
        "offline_url": "/offline/",
        "shell": [
            "/offline/",
            static("css/app.css"),
            static("img/favicon.svg"),
            static("img/app/icon-192.png"),
        ],
        "allowed_url": "/offline/allowed.json",
        "debug": settings.DEBUG,
    }
    # Never cached (config.middleware for anyone signed in; here for everyone): the browser
    # checks for a new worker on each navigation.
    response = render(request, "pwa/sw.js", context, content_type="text/javascript")
    response["Cache-Control"] = "no-cache, no-store, max-age=0"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HtmxHttpRequest) -> HttpResponse:
    """Kept by the service worker at install: it names no one and holds no health data."""
    return render(request, "pwa/offline.html")


def clears_offline_papers(view):
    """On log-out: `Clear-Site-Data: "cache"`; the service worker also deletes the travel papers
    (the page tells it, and the next page load's list of allowed offline URLs is empty)."""

    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"cache"'
        return response

    return wrapper
