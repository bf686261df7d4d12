"""The security headers, as production sends them, and a CSP that needs no exception: no inline
style anywhere, no script without the page's nonce, on every page of the access matrix."""

import re
from html.parser import HTMLParser

import pytest

from tests.security.production import run_json
from tests.support.matrix import CASES, PERSONAS

PRODUCTION_REQUESTS = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client, override_settings

call_command("migrate", verbosity=0)
from patients.models import User

# Manifest static files need collectstatic (half a minute): plain storage, the headers are the same.
plain = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def seen(response):
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {name: dict(m, value=m.value) for name, m in response.cookies.items()},
        "body": response.content.decode(errors="replace"),
    }


with override_settings(STORAGES=plain):
    User.objects.create_user(email="camille@example.com", password="a-long-test-password")
    client = Client()
    out = {"http": seen(client.get("/accounts/login/"))}
    out["login_page"] = seen(client.get("/accounts/login/", secure=True))
    out["logged_in"] = seen(
        client.post(
            "/accounts/login/",
            {"username": "camille@example.com", "password": "a-long-test-password"},
            secure=True,
        )
    )
    out["language"] = seen(client.post("/i18n/setlang/", {"language": "en"}, secure=True))
    out["profile"] = seen(
        client.post(
            "/accounts/profile/",
            {"display_name": "Camille", "time_zone": "Europe/Paris", "language": "fr"},
            secure=True,
        )
    )
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return run_json(PRODUCTION_REQUESTS, tmp_path_factory.mktemp("production"))


def test_plain_http_is_sent_to_https(production):
    assert production["http"]["status"] == 301
    assert production["http"]["headers"]["Location"].startswith("https://")


def test_production_pages_carry_the_security_headers(production):
    headers = production["login_page"]["headers"]
    assert production["login_page"]["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "no-store" in headers["Cache-Control"]


def test_the_csp_has_a_nonce_forbids_framing_and_allows_nothing_inline(production):
    csp = production["login_page"]["headers"]["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    nonce = next(v for v in directives["script-src"] if v.startswith("'nonce-"))
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
    # The page's own scripts (htmx) carry that nonce.
    body = production["login_page"]["body"]
    assert f'nonce="{nonce[7:-1]}"' in body


@pytest.mark.parametrize(
    ("response", "cookie"),
    [
        ("login_page", "csrftoken"),
        ("logged_in", "sessionid"),
        ("language", "django_language"),
        ("profile", "django_language"),  # the profile sets it too, with the same flags
    ],
)
def test_cookies_are_secure_and_same_site(production, response, cookie):
    assert production[response]["status"] in (200, 302)
    flags = production[response]["cookies"][cookie]
    assert flags["secure"] is True
    assert flags["samesite"] == "Lax"
    if cookie == "sessionid":
        assert flags["httponly"] is True


# --- No inline style, no script without the nonce, on every page ----------------------------------


class InlineFinder(HTMLParser):
    """What a CSP without 'unsafe-inline' would block: style attributes, <style> blocks, inline
    event handlers, javascript: links, and scripts without the page's nonce."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "style" in attributes:
            self.problems.append(f"<{tag} style=…>")
        if tag == "style":
            self.problems.append("<style> block")
        if any(name.startswith("on") for name in attributes):
            self.problems.append(f"<{tag}> inline event handler")
        if (attributes.get("href") or "").lower().startswith("javascript:"):
            self.problems.append(f"<{tag} href=javascript:…>")
        if tag == "script":
            src = attributes.get("src")
            if src is None and attributes.get("nonce") != self.nonce:
                self.problems.append("<script> without the page's nonce")
            if src is not None and not src.startswith("/"):
                self.problems.append(f"<script src={src}> from another origin")


NONCE = re.compile(r"'nonce-([^']+)'")


def test_no_page_needs_an_inline_exception_to_the_csp(walk):
    """Every GET of the matrix that answers a page, for every persona (the admin's pages too);
    the answers of the walk of the matrix (tests/support/walk.py)."""
    problems, pages = [], 0
    for case in CASES:
        if case.get is None:
            continue
        for persona in PERSONAS:
            response = walk.answer(case, persona, "GET", htmx=False).response
            if response.status != 200 or "text/html" not in response["Content-Type"]:
                continue
            pages += 1
            nonce = NONCE.search(response["Content-Security-Policy"])
            finder = InlineFinder(nonce.group(1) if nonce else "")
            finder.feed(response.content)
            problems += [f"{case.id} as {persona}: {p}" for p in sorted(set(finder.problems))]
    assert not problems, "\n".join(problems)
    assert pages > 100
