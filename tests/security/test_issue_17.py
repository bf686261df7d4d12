"""Issue 17 (an outside attack, December 2026): the regression tests of the smaller items.
Items 1 and 2 have their own files (tests/patients/test_security_auth.py, test_date_bombs.py),
item 13 too (test_gunicorn_conf.py). Each test says what the code did before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients.privacy import erasure

pytestmark = pytest.mark.django_db


# --- 14. SQLite keeps erased rows in its WAL until a checkpoint ----------------------------------


def test_an_erasure_checkpoints_sqlites_write_ahead_log_once_committed(
    patient, django_capture_on_commit_callbacks
):
    # Before: nothing ran after the erasure; the rows stayed in db.sqlite3-wal until SQLite's
    # next automatic checkpoint (1,000 pages of writes later).
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        erasure.erase_account(user=patient)
    assert erasure.checkpoint_sqlite in callbacks
    pragmas = [q["sql"] for q in queries if "wal_checkpoint" in q["sql"]]
    if connection.vendor == "sqlite":
        assert pragmas == ["PRAGMA wal_checkpoint(TRUNCATE)"]
    else:  # PostgreSQL: nothing to checkpoint from the app (SECURITY.md, "Erasure")
        assert pragmas == []


def test_a_truncating_checkpoint_empties_the_write_ahead_log(tmp_path):
    """What the PRAGMA does, on a file database of its own: the WAL holds the deleted row's
    page until the checkpoint, which leaves the -wal file empty."""
    import sqlite3

    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (secret TEXT)")
    db.execute("INSERT INTO t VALUES ('camille-secret')")
    db.commit()
    db.execute("DELETE FROM t")
    db.commit()
    wal = tmp_path / "db.sqlite3-wal"
    assert b"camille-secret" in wal.read_bytes()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert wal.read_bytes() == b""
    db.close()


# --- 7. A non-UTF-8 form charset -----------------------------------------------------------------

UTF16_LOGIN = "username=camille%40example.com&password=x".encode("utf-16")


@pytest.mark.parametrize(
    "charset", ["utf-16", "UTF-16LE", "utf-32", "iso-8859-1", "no-such-charset", "utf8"]
)
@pytest.mark.parametrize("path", ["/en/accounts/login/", "/en/accounts/signup/", "/healthz"])
def test_a_form_body_in_another_charset_is_a_bad_request(client, patient, charset, path):
    # Before: Django decoded the body as asked; a 500 in production, 25 s in development.
    with CaptureQueriesContext(connection) as queries:
        response = client.generic(
            "POST",
            path,
            UTF16_LOGIN,
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
    assert response.status_code == 400
    assert len(queries) == 0  # answered before any session, lock-out or account lookup


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8"])
def test_a_utf_8_or_ascii_form_body_is_read_as_usual(client, patient, charset):
    response = client.generic(
        "POST",
        "/en/accounts/login/",
        b"username=camille%40example.com&password=a-long-test-password",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 302


PRODUCTION_CHARSET = """
import json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test import override_settings
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="care.example.org")
plain = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain):
    response = client.generic(
        "POST",
        "/en/accounts/login/",
        "username=a%40example.org&password=x".encode("utf-16"),
        content_type="application/x-www-form-urlencoded; charset=utf-16",
        secure=True,
    )
print(json.dumps({"status": response.status_code}))
"""


def test_in_production_a_utf_16_form_body_answers_400(tmp_path):
    from tests.security.production import run_json

    assert run_json(PRODUCTION_CHARSET, tmp_path) == {"status": 400}
