import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.template.loader import get_template
from django.urls import get_resolver, reverse
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Templates most requests render: compiled before the first visitor comes.
WARM_TEMPLATES = (
    "base.html",
    "home.html",
    "patients/dashboard.html",
    "patients/treatment_partials.html",
    "content/article_detail.html",
)


def warm_up() -> None:
    """Do, once per process and before it serves anyone, what its first request would otherwise
    wait for: import the URLconf (every view module, WeasyPrint and fhir.resources among them:
    1.2 s on the bench machine, more under load), build each language's URL tables, load the
    translation catalogues and compile the commonest templates. A gunicorn worker loads this
    module before it accepts a connection, and a new worker starts every ~2,000 requests
    (config/gunicorn.conf.py): without this, the first page a worker served took 0.9 s instead
    of 0.05 s (the patient dashboard's Lighthouse performance, issue 18)."""
    get_resolver().url_patterns  # noqa: B018 (the property imports the URLconf)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            reverse("home")
            for name in WARM_TEMPLATES:
                get_template(name)


warm_up()
