"""config/celery.py: around each task a worker keeps or closes its database connection as
Django would; a task applied in the caller's process leaves the caller's connection alone."""

from django.db import connection

from patients import tasks
from patients.models import User
from tests.factories import UserFactory


def test_a_task_applied_in_process_leaves_the_callers_transaction_open(db, mailoutbox):
    user = UserFactory(email="louise@example.com", email_confirmed_at=None)
    assert connection.in_atomic_block  # the test's transaction, as a caller's would be
    tasks.send_signup_mail.apply(args=[user.pk]).get()
    assert connection.connection is not None and connection.in_atomic_block
    assert User.objects.filter(pk=user.pk).exists()  # the same connection still answers
    assert [m.to for m in mailoutbox] == [["louise@example.com"]]
