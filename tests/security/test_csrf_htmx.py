"""CSRF with htmx: base.html puts the token in `hx-headers` on <body>, so every hx-post sends it
as X-CSRFToken. Without it, a state-changing request answers 403; with it, what the matrix says.

Every POST row of the access matrix, for the first persona it lets through (its owner), with
Django's CSRF checks on (the test client turns them off by default).
"""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.auth import sign_in
from tests.support.matrix import CASES, PERSONAS, expected, outcome_of, respond

pytestmark = pytest.mark.django_db

HX_HEADERS = re.compile(r"<body\b[^>]*\bdata-hx-headers='([^']*)'")


def allowed_persona(case):
    """The first persona the row lets through (200 or 302), or None."""
    for persona in PERSONAS:
        want = expected(case, case.post, persona, htmx=True)
        if want in (200, 302):
            return persona
    return None


POST_ROWS = [c for c in CASES if c.post is not None and not c.missing and allowed_persona(c)]


def csrf_client(world, persona):
    """A browser with CSRF checks on, signed in as `persona`, holding the token that
    base.html hands to htmx."""
    client = Client(enforce_csrf_checks=True)
    if user := world.personas[persona]:
        sign_in(client, user)
    page = client.get(reverse("privacy")).content.decode()
    token = json.loads(HX_HEADERS.search(page).group(1))["X-CSRFToken"]
    assert token
    return client, token


@pytest.mark.parametrize("case", POST_ROWS, ids=[c.id for c in POST_ROWS])
def test_an_htmx_post_needs_the_token_that_base_html_gives(world, case):
    persona = allowed_persona(case)
    client, token = csrf_client(world, persona)
    without = respond(world, case, persona, "POST", htmx=True, client=client)
    assert without.status_code == 403
    with_token = respond(
        world, case, persona, "POST", htmx=True, client=client, **{"X-CSRFToken": token}
    )
    assert outcome_of(with_token, htmx=True) == expected(case, case.post, persona, htmx=True)


def test_the_rows_cover_the_state_changing_htmx_endpoints():
    """Marking an item done, deleting an injection, verifying an item, moving a dose…"""
    urls = {case.url for case in POST_ROWS}
    assert {
        "patients:item_done",
        "patients:item_undo",
        "patients:delete_injection",
        "patients:restore_injection",
        "patients:clinic_verify",
        "patients:clinic_due",
        "patients:clinic_move_dose",
        "patients:clinic_remove",
        "patients:new_trip",
        "set_language",
        "logout",
    } <= urls
    assert len(urls) > 40


def test_a_plain_form_post_needs_the_token_too(world):
    """The same rule without htmx: the hidden csrfmiddlewaretoken field of every form."""
    client, token = csrf_client(world, "patient")
    path = reverse("patients:reminder_settings")
    assert client.post(path, {}).status_code == 403
    assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 200
