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
