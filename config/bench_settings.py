"""Settings for `manage.py bench_http` only: the app's settings, unchanged, plus the hello-world
reference view of config/bench_urls.py. Never used to serve anyone."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "config.bench_urls"
