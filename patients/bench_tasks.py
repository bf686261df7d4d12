"""Bench-only Celery tasks: the reference of `manage.py bench_reminders`.

Only the benchmark's own worker loads this module (`celery worker -I patients.bench_tasks`): the
app autodiscovers `tasks` modules, never this one, so the production worker does not register it.
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
