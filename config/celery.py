"""Celery application: broker from settings (Redis, or the filesystem fallback of `make run`)."""

import logging.config
import os
from pathlib import Path

from celery import Celery, beat
from celery.signals import setup_logging, task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("interleukin_care")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING like the web (JSON in production, the same
    filters), instead of Celery's own set-up; the level is LOG_LEVEL, not --loglevel."""
    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
@task_postrun.connect
def close_database_connections_as_django_would(sender=None, **kwargs) -> None:
    """What Django does around each request: close a connection older than DB_CONN_MAX_AGE,
    or unusable, or that saw an error; keep the others (settings.CELERY_DB_REUSE_MAX).

    Not around a task applied in the caller's process (`apply()`, eager): the connection is
    the caller's, maybe inside its transaction, which Django would take for "unusable"."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    close_old_connections()


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's default scheduler (settings.CELERY_BEAT_SCHEDULER), which also makes the folder
    of its schedule file (var/ by default) before opening it."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
