"""Celery application: broker from settings (Redis, or the filesystem fallback of `make run`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("interleukin_care")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
