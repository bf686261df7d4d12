"""Signing up through the forms, as the app now does it: the form answers "check your e-mail",
a task queued after the commit sends the link, the link's form takes the password chosen.

`tasks_inline()` stands in for the broker and the worker: every task the app queues is recorded
(name, arguments) and its body run in this thread, as a worker would run it. The Celery worker
itself is tested elsewhere (tests/patients/test_reminder_worker.py); here it is the request
and the e-mail that are under test.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from celery.app.task import Task
from django.core import mail
from django.test import TestCase

PATIENT_SIGNUP = {
    "email": "New.Person@Example.com",
    "display_name": "New Person",
    "password1": "correct horse battery staple",
    "password2": "correct horse battery staple",
    "time_zone": "Europe/Paris",
    "consent": "on",
}
LINK = re.compile(r"https?://[^/\s]+(/(?:en/)?accounts/signup/confirm/[^/\s]+/)")


@contextmanager
def tasks_inline(*, run: bool = True) -> Iterator[list[tuple[str, list]]]:
    """Every task queued inside is recorded as (name, args) and, with `run`, executed here."""
    calls: list[tuple[str, list]] = []

    def queued(task, args=None, kwargs=None, **options):
        calls.append((task.name, list(args or ())))
        if run:
            task.run(*(args or ()), **(kwargs or {}))

    with mock.patch.object(Task, "apply_async", autospec=True, side_effect=queued):
        yield calls


def post_signup(client, path: str, data: dict, *, run: bool = True):
    """POST a sign-up form; the on-commit callbacks (the queued e-mail) run as after a commit.
    Returns the response and the tasks queued."""
    with tasks_inline(run=run) as calls, TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(path, data)
    return response, calls


def confirmation_path(address: str) -> str:
    """The path of the newest confirmation link e-mailed to `address`."""
    for message in reversed(mail.outbox):
        if address.lower() in [to.lower() for to in message.to]:
            found = LINK.search(message.body)
            if found:
                return found[1]
    raise AssertionError(f"no confirmation link was e-mailed to {address}")


def confirm(client, address: str, password: str):
    """Open the e-mailed link and type the password: the response of the POST."""
    path = confirmation_path(address)
    assert client.get(path).status_code == 200
    return client.post(path, {"password": password})


def sign_up_and_confirm(client, path: str, data: dict):
    """The whole sign-up: the form, the e-mail, the link; the response of the confirmation."""
    response, _calls = post_signup(client, path, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return confirm(client, data["email"], data["password1"])
