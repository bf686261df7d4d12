"""Who may open what: EVERY URL of config.urls, for every persona, with and without htmx, with
each method the view accepts. The matrix itself (personas, rows, the rule, the world they meet)
is in tests/support/matrix.py; the requests are sent once per run by tests/support/walk.py, and
each row of the matrix is checked here, one test per row, against what the walk recorded.
"""

import pytest

from tests.support.matrix import (
    CASES,
    NO_MISSING_VARIANT,
    PERSONAS,
    UNNAMED,
    expected,
    leaked,
    url_names,
)
from tests.support.walk import requests_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_persona_gets_what_the_matrix_says(walk, case):
    problems = []
    for method, outcomes in (("GET", case.get), ("POST", case.post)):
        if outcomes is None:
            continue
        for persona in PERSONAS:
            for htmx in (False, True):
                want = expected(case, outcomes, persona, htmx)
                answer = walk.answer(case, persona, method, htmx)
                got, content = answer.outcome, answer.content
                where = f"{persona} {method}{' htmx' if htmx else ''}"
                if got not in want if isinstance(want, frozenset) else got != want:
                    problems.append(f"{where}: expected {want}, got {got}")
                if markers := leaked(case, persona, content):
                    problems.append(f"{where}: the response shows {markers}")
    # A method the view does not take answers 405 to everyone, never 500. (The admin's views
    # take any method; its rule, staff only, is what matters there.)
    for method in ("GET", "POST"):
        if case.url.startswith("admin:"):
            continue
        if (case.get if method == "GET" else case.post) is not None:
            continue
        for persona in PERSONAS:
            got = walk.answer(case, persona, method, htmx=False).outcome
            if got != 405:
                problems.append(f"{persona} {method} (not accepted): expected 405, got {got}")
    assert not problems, f"{case.id}:\n" + "\n".join(problems)


def test_the_walk_sent_every_request_of_every_row(walk):
    """The checks above read the walk: it must hold an answer to each request they read."""
    wanted = {
        (c.id, persona, method, htmx) for c in CASES for method, persona, htmx in requests_of(c)
    }
    assert set(walk.complete().answers) == wanted
    assert len(walk) > 2000


def test_every_url_of_the_app_is_in_the_matrix():
    """A URL added anywhere (config/urls.py, an app's urls.py, an include) without its row here
    fails this test; the admin's URLs are all under ADMIN_RULE."""
    names = set(url_names()) - {f"<unnamed {route}>" for route in UNNAMED}
    admin = {name for name in names if name.startswith("admin:")}
    covered = {case.url for case in CASES}
    assert names - admin - covered == set(), "URLs missing from the access matrix"
    assert covered - names == set(), "matrix rows for URLs that no longer exist"
    # The admin: its unnamed catch-all is part of the admin site, under the same rule.
    assert {"admin:index", "admin:login", "admin:logout"} <= admin
    assert {name for name in covered if name.startswith("admin:")} <= admin


def test_every_url_with_an_id_is_tried_with_one_that_does_not_exist():
    with_arg = {case.url for case in CASES if case.arg is not None} - NO_MISSING_VARIANT
    tried = {case.url for case in CASES if case.missing}
    assert with_arg == tried
