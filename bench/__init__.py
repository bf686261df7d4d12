"""Benchmarks: development tooling, never installed by the app's settings.

`make bench` runs with DJANGO_SETTINGS_MODULE=bench.settings, which adds this app (its
management commands `bench`, `bench_http`, `bench_letters`, `bench_reminders`, its no-op Celery
task) and its hello-world URL to the app's settings. `celery_workers` starts and stops Celery
workers for the benchmarks and the tests.
"""
