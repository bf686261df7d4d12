"""Erasure (GDPR article 17): `erase_account` deletes the person and, by cascade, everything
of theirs, ends every session of theirs on the server, and keeps the access record with a
pseudonym in their place."""

import logging
from importlib import import_module

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from patients.journal.data import erase_journal
from patients.models import AccessEvent, User

logger = logging.getLogger(__name__)

PSEUDONYM_SALT = "patients.privacy.pseudonym"


def pseudonym(user_id: int) -> str:
    """What replaces a deleted person in the access record: the same for every entry of theirs,
    so the record still shows that one person did several things, but not who. A keyed HMAC
    (SECRET_KEY): without the key, nobody can test candidate ids against it."""
    return salted_hmac(PSEUDONYM_SALT, str(user_id), algorithm="sha256").hexdigest()


def end_sessions(*, user: User) -> int:
    """Delete every server-side session signed in as `user` (all their browsers and devices).

    Sessions are not indexed by user, so each live one is decoded: this is linear in the
    number of live sessions, acceptable for an action as rare as deleting an account. With a
    session engine that keeps nothing on the server (signed cookies) there is nothing to delete,
    and the cookie stops working anyway once the account is gone.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    decoder = store_class()
    keys = [
        key
        for key, encoded in sessions.values_list("session_key", "session_data").iterator(2000)
        if decoder.decode(encoded).get(SESSION_KEY) == str(user.pk)
    ]
    for key in keys:
        store_class(session_key=key).delete()  # also leaves the cache, for cached_db
    return len(keys)


@transaction.atomic
def erase_account(*, user: User) -> None:
    """Erase the person and everything of theirs, keeping the access record pseudonymous.

    The cascade takes treatments, injections, stock, dose overrides, reminder settings (the
    calendar token), every reminder and notification (the outbox: a send task that still holds
    an id finds nothing), care links, invitations, checklists with their items, events and
    share links, trips and their letters (whose verification page then answers 404), a
    clinician's profile and the second-factor devices; the log-in records under the e-mail go
    too. The access record keeps its rows: the person's key is replaced by a
    pseudonym, on the patient's side and on the actor's side (whose copied name goes too).
    """
    alias = pseudonym(user.pk)
    AccessEvent.objects.filter(patient=user).update(patient=None, patient_pseudonym=alias)
    AccessEvent.objects.filter(actor=user).update(actor=None, actor_name="", actor_pseudonym=alias)
    end_sessions(user=user)
    delete_login_records(email=user.email)
    erase_journal(user)
    user.delete()
    transaction.on_commit(checkpoint_sqlite)


def checkpoint_sqlite() -> None:
    """SQLite (development, small installs) keeps deleted rows in its write-ahead log until a
    checkpoint copies the log into the database file; TRUNCATE also empties the log file, so
    the erased rows leave the disk's live files now rather than at SQLite's next automatic
    checkpoint. Freed pages of the main file are overwritten by later writes (secure_delete
    is not on). PostgreSQL: see SECURITY.md, "Erasure", for dead tuples, WAL and backups."""
    if connection.vendor != "sqlite":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except OperationalError:  # still inside a transaction (a test's): SQLite's own comes later
        logger.warning("The write-ahead log could not be checkpointed after an erasure.")


def delete_login_records(*, email: str) -> int:
    """django-axes' records of log-ins and failed attempts under this e-mail (any case)."""
    return sum(
        model.objects.filter(username__iexact=email).delete()[0]
        for model in (AccessAttempt, AccessLog)
    )
