"""Private pages stay out of caches and of the browser's history; no health data in a URL.

Every response to someone signed in, and every response that is not a public page, carries
`Cache-Control: no-store` (config.middleware.PrivatePagesNoStoreMiddleware); every full HTML
page a signed-in person opens tells htmx not to keep a copy (`hx-history="false"` on <body>).
"""

import re
import runpy
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.matrix import CASES, PERSONAS, SIGNED_IN, url_names

pytestmark = pytest.mark.django_db

BODY_TAG = re.compile(r"<body\b[^>]*>", re.S)
# Public pages that anonymous visitors may keep in a cache (no health data, the same for all).
CACHEABLE = ["home", "privacy", "therapies:list", "content:articles", "content:glossary"]


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_every_response_to_someone_signed_in_is_no_store(walk):
    """Every URL of the matrix, GET and POST, as each signed-in persona: whatever the status
    (200, 302, 404, 405), the answer is no-store; a full page also carries hx-history=false.
    (The answers of the walk of the matrix: tests/support/walk.py.)"""
    problems, pages = [], 0
    for case in CASES:
        for method in ("GET", "POST"):
            if (case.get if method == "GET" else case.post) is None:
                continue
            for persona in SIGNED_IN:
                response = walk.answer(case, persona, method, htmx=False).response
                where = f"{case.id} {method} as {persona} ({response.status})"
                if not no_store(response):
                    problems.append(f"{where}: Cache-Control {response.get('Cache-Control')!r}")
                html = response.get("Content-Type", "").startswith("text/html")
                # (The Django admin does not load htmx: no history for it to keep.)
                admin = case.url.startswith("admin:")
                if method == "GET" and response.status == 200 and html and not admin:
                    body = BODY_TAG.search(response.content)
                    pages += 1
                    if body is None or 'data-hx-history="false"' not in body.group():
                        problems.append(f'{where}: <body> without data-hx-history="false"')
    assert not problems, "\n".join(problems)
    assert pages > 100  # the walk reached the pages, not only redirects


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.url in {"shared_checklist", "verify_letter", "calendar_feed"}],
    ids=lambda c: c.id,
)
def test_public_links_to_private_data_are_no_store_for_anyone(walk, case):
    """A share link, a letter's verification page and the calendar feed hold someone's data:
    no cache keeps them, even for a visitor who is not signed in."""
    response = walk.answer(case, "anonymous", "GET", htmx=False).response
    assert no_store(response), response.get("Cache-Control")


def test_the_log_in_and_sign_up_pages_are_no_store(db):
    for name in ("login", "signup", "password_reset", "signup_clinician"):
        assert no_store(Client().get(reverse(name))), name


@pytest.mark.parametrize("name", CACHEABLE)
def test_public_pages_are_cacheable_for_anonymous_visitors(catalogue, name):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    assert not no_store(response), response.get("Cache-Control")


def test_the_same_public_page_is_no_store_once_signed_in(patient_client):
    """The menu of a signed-in person names them: no shared cache may keep that copy."""
    response = patient_client.get(reverse("therapies:list"))
    assert response.status_code == 200 and no_store(response)


def test_an_unknown_address_is_no_store(db):
    assert no_store(Client().get("/no/such/page/"))


# --- No health data in a URL ---------------------------------------------------------------------

# What a URL of the app may carry in its path: ids, secret tokens, the kind of a letter (certificate
# or prescription), the slug of a public article or therapy, the admin's own parameters.
ALLOWED_URL_PARAMETERS = {
    "pk",
    "token",
    "kind",
    "slug",
    "inn",
    "uidb64",
    "url",  # the admin's catch-all
    "id",  # the admin's password page of an account
    "app_label",
    "object_id",
    "content_type_id",
}
# What a query string of the app may carry (GET forms and links), with why it is acceptable:
ALLOWED_QUERY_PARAMETERS = {
    "page": "a page number of a list",
    "next": "a page of this site to return to (a path with ids only, see the test below)",
    "dose": "the ordinal of a dose (from a reminder e-mail), not a drug, date or amount",
    "q": "a search typed by the person: the public articles, or a clinician's filter of their "
    "own patients by name; no log line holds a query string (config/logs.py, no gunicorn "
    "access log) and the pages are no-store",
    "show": "a clinician's filter: overdue, due soon, open checklists",
    "start": "the first day of the visit summary's period, chosen by the reader (a date range, "
    "no drug, dose or result)",
    "end": "the last day of that period",
    "injection": "the id of one of the patient's own logged doses, to tie a journal entry to it "
    "(an opaque number, answered 404 for anyone else's), not a drug, date or site",
}
# Moved out of URLs (the values are health data): the trip form POSTs the chosen country to get
# its time zones (was ?destination=JP); the therapy page POSTs the medicine to preselect (was
# ?drug=guselkumab).
FORBIDDEN_QUERY_PARAMETERS = {"destination", "drug"}


def test_the_app_urls_carry_ids_tokens_and_public_slugs_only():
    from django.urls import URLPattern, URLResolver, get_resolver

    def parameters(resolver):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from parameters(pattern)
            elif isinstance(pattern, URLPattern):
                yield from pattern.pattern.regex.groupindex

    assert set(parameters(get_resolver())) <= ALLOWED_URL_PARAMETERS
    assert url_names()  # the walk found the URLs


GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>(.*?)</form>", re.S | re.I)
FIELD_NAME = re.compile(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]+)\"", re.I)
QUERY_IN_LINK = re.compile(r"(?:href|hx-get|action)=\"[^\"]*\?([^\"]*)\"", re.I)


def test_get_forms_and_links_only_put_allowed_parameters_in_a_query_string(walk):
    """Every page of the matrix, for every persona: the fields of its GET forms (they end up in
    the URL) and the query strings of its links and hx-get attributes."""
    found = {}
    for case in CASES:
        if case.get is None or case.url.startswith("admin:"):  # the admin's filters: staff only
            continue
        for persona in PERSONAS:
            response = walk.answer(case, persona, "GET", htmx=False).response
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            page = response.content
            for form in GET_FORM.findall(page):
                for name in FIELD_NAME.findall(form):
                    found.setdefault(name, f"a GET form of {case.id}")
            for query in QUERY_IN_LINK.findall(page):
                for pair in query.replace("&amp;", "&").split("&"):
                    found.setdefault(pair.split("=")[0], f"a link of {case.id}")
    unexpected = {name: where for name, where in found.items() if name}
    unexpected = {n: w for n, w in unexpected.items() if n not in ALLOWED_QUERY_PARAMETERS}
    assert unexpected == {}
    assert not FORBIDDEN_QUERY_PARAMETERS & set(found)
    assert {"q", "page"} & set(found)  # the walk did see the search forms and the pagers


def test_gunicorn_writes_no_access_log():
    """Its lines would carry the query string (a search, a filter by name) and the referrer;
    config/logs.py writes one line per request with the route pattern instead."""
    assert runpy.run_path("config/gunicorn.conf.py")["accesslog"] is None
    lines = Path("Procfile").read_text().splitlines()
    web = next(line for line in lines if line.startswith("web:"))
    assert "--access-logfile" not in web and "config/gunicorn.conf.py" in web


def test_the_trip_form_asks_for_time_zones_without_the_country_in_the_url(patient_client):
    """hx-get would send the chosen country as ?destination=… (into the access log)."""
    page = patient_client.get(reverse("patients:new_trip")).content.decode()
    assert "hx-post=" in page and "hx-get=" not in page
