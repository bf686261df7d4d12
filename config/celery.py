"""Celery application: broker from settings (Redis, or the filesystem fallback of `make run`)."""

import logging.config
import os
from pathlib import Path

from celery import Celery, beat
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("interleukin_care")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING like the web (JSON in production, the same
    filters), instead of Celery's own set-up; the level is LOG_LEVEL, not --loglevel."""
    logging.config.dictConfig(settings.LOGGING)


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's default scheduler (settings.CELERY_BEAT_SCHEDULER), which also makes the folder
    of its schedule file (var/ by default) before opening it."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
