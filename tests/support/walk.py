"""One walk of every URL of the access matrix, for every persona, recorded once per test run.

The access matrix (each persona gets what its row says, and no one else's data), the no-store
check, the CSP check and the query-string check all read the same answers: each request is sent
once, here, and what came back (status, outcome, headers, body) is kept for all of them.

What is sent, per row of the matrix (tests/support/matrix.py):
- each method the row accepts (GET, POST), as every persona, plain and with htmx;
- each method it does not accept (outside the Django admin), as every persona, plain.
Each row starts as a test would: an empty cache (no rate-limit counter) and the default
language. Each persona signs in once (`matrix.sessions_of`; signing in again for each of the
6,500 requests was a third of the walk's time), and each request is sent by a new client in
that session, in a savepoint rolled back after it (`matrix.respond`): what a request does to
its session (a log-out, a new key) is undone before the next. The whole world is rolled back
at the end: the walk leaves nothing in the database.

The walk is sent in parts (`WALK_PARTS`, each row in the part tests/support/scheduling.py's
`walk_part` gives it), each part when a test first reads one of its rows. Under pytest-xdist a
part is recorded once for the whole run: the worker that needs it first records it (with a lock,
so that a worker that needs it meanwhile waits rather than walks it again) and saves its answers
in the run's shared temporary folder, where the other workers read them. The scheduler sends the
matrix's per-row tests of each part to one worker, so the parts are walked side by side.
"""

from __future__ import annotations

import fcntl
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from tests.support.matrix import (
    CASES,
    PERSONAS,
    Case,
    Outcome,
    build_world,
    outcome_of,
    respond,
    sessions_of,
)
from tests.support.scheduling import WALK_PARTS, walk_part

METHODS = ("GET", "POST")
FAST_HASHING = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass(frozen=True)
class Answer:
    """What one request got: the outcome as the matrix counts it (a status, LOGIN, ADMIN_LOGIN),
    the response's status, headers and body; or `error`, the text of what the view raised."""

    outcome: Outcome
    status: int | None
    headers: dict[str, str]
    content: str
    error: str | None = None

    def get(self, header: str, default: str | None = None) -> str | None:
        return self.headers.get(header.lower(), default)

    def __getitem__(self, header: str) -> str:
        return self.headers[header.lower()]

    @property
    def response(self) -> Answer:
        """For the checks that need a response: fails the test when the view raised."""
        assert self.error is None, self.error
        return self


class Walk:
    """The answers of the walk, its parts fetched by `load(part)` when a row of theirs is read."""

    def __init__(self, load: Callable[[int], dict] | None = None) -> None:
        self.answers: dict[tuple[str, str, str, bool], Answer] = {}
        self._load = load
        self._parts: set[int] = set()

    def need(self, part: int) -> None:
        if part not in self._parts:
            self.answers.update(self._load(part))
            self._parts.add(part)

    def complete(self) -> Walk:
        """Every part: for the checks that read every row."""
        for part in range(WALK_PARTS):
            self.need(part)
        return self

    def answer(self, case: Case, persona: str, method: str, htmx: bool) -> Answer:
        self.need(walk_part(case.id))
        try:
            return self.answers[case.id, persona, method, htmx]
        except KeyError:
            raise AssertionError(
                f"the walk sent no {method}{' htmx' if htmx else ''} to {case.id} as {persona}"
            ) from None

    def __len__(self) -> int:
        return len(self.complete().answers)


def requests_of(case: Case):
    """(method, persona, htmx) of every request the walk sends for `case`."""
    for method in METHODS:
        accepted = (case.get if method == "GET" else case.post) is not None
        if accepted:
            for persona in PERSONAS:
                for htmx in (False, True):
                    yield method, persona, htmx
        elif not case.url.startswith("admin:"):  # the admin's views take any method
            for persona in PERSONAS:
                yield method, persona, False


def answer_of(world, case: Case, persona: str, method: str, htmx: bool, sessions=None) -> Answer:
    try:
        response = respond(world, case, persona, method, htmx, sessions=sessions)
    except Exception as error:  # a 500: reported by the checks, not here
        text = f"raised {type(error).__name__}: {error}"
        return Answer(outcome=text, status=None, headers={}, content="", error=text)
    return Answer(
        outcome=outcome_of(response, htmx=htmx),
        status=response.status_code,
        headers={name.lower(): value for name, value in response.headers.items()},
        content=response.content.decode(errors="replace"),
    )


def cases_of(part: int) -> list[Case]:
    return [case for case in CASES if walk_part(case.id) == part]


def record(cases: list[Case]) -> dict:
    """Build the matrix's world, send every request of each of `cases`, roll everything back.
    Needs database access (the `walk` fixture of tests/conftest.py unblocks it)."""
    ids = [case.id for case in CASES]
    assert len(set(ids)) == len(ids), "two rows of the matrix share an id"
    answers = {}
    with override_settings(PASSWORD_HASHERS=FAST_HASHING), transaction.atomic():
        world = build_world()
        sessions = sessions_of(world)  # each persona signs in once, not once a request
        for case in cases:
            cache.clear()
            translation.activate(settings.LANGUAGE_CODE)
            for method, persona, htmx in requests_of(case):
                answers[case.id, persona, method, htmx] = answer_of(
                    world, case, persona, method, htmx, sessions
                )
        transaction.set_rollback(True)
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)
    return answers


def part_loader(shared: Path | None, unblock) -> Callable[[int], dict]:
    """`load(part)` for a `Walk`: recorded here (`unblock()` allowing the database), or, when
    `shared` names the run's folder shared by the xdist workers, recorded by whichever worker
    needs the part first and read from there by the others."""

    def recorded(part: int) -> dict:
        with unblock():
            return record(cases_of(part))

    if shared is None:
        return recorded

    def load(part: int) -> dict:
        shared.mkdir(parents=True, exist_ok=True)
        saved = shared / f"part-{part}.pickle"
        with open(shared / f"part-{part}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if saved.is_file():
                return pickle.loads(saved.read_bytes())
            answers = recorded(part)
            partial = saved.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(answers, protocol=pickle.HIGHEST_PROTOCOL))
            partial.rename(saved)
            return answers

    return load
