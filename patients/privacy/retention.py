"""How long the record of who accessed what, and the log-in records, are kept (the French
CNIL's guidance on logs), and the daily purge."""

from datetime import datetime, timedelta
from importlib import import_module

from axes.models import AccessAttempt, AccessLog
from django.conf import settings

from patients.models import AccessEvent

PURGE_BATCH = 1000


def retention() -> timedelta:
    return timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)


def purge_access_log(*, now: datetime, batch_size: int = PURGE_BATCH) -> int:
    """Delete the access-log entries older than the retention period, `batch_size` rows per
    statement so no long lock is held on a large table. Returns how many were deleted."""
    cutoff = now - retention()
    deleted = 0
    while True:
        ids = list(
            AccessEvent.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += AccessEvent.objects.filter(pk__in=ids).delete()[0]


def purge_login_records(*, now: datetime) -> int:
    """Delete django-axes' log-in records older than LOGIN_LOG_RETENTION_DAYS."""
    cutoff = now - timedelta(days=settings.LOGIN_LOG_RETENTION_DAYS)
    return sum(
        model.objects.filter(attempt_time__lt=cutoff).delete()[0]
        for model in (AccessAttempt, AccessLog)
    )


def clear_expired_sessions() -> None:
    """What `manage.py clearsessions` does, for the daily task."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
