"""Bench-only Celery tasks: the reference of `manage.py bench_reminders`.

Registered only where the bench app is installed (bench.settings, whose workers autodiscover
it): the production worker runs config.settings and never sees it.
"""

import functools

import redis
from celery import shared_task
from django.conf import settings

DONE_KEY = "interleukin-bench:noop-done"


@functools.cache
def _redis() -> redis.Redis:
    # Created on first use, so in each prefork child after the fork.
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def noop(ids: list[int]) -> None:
    """The shape of patients.tasks.send_reminders, doing nothing but count itself done."""
    _redis().incr(DONE_KEY)
