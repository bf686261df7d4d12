"""Settings of `make bench`: the app's settings, unchanged, plus the bench app (its management
commands and its no-op task) and the hello-world reference view of bench/urls.py.

Never used to serve anyone: production runs config.settings, where none of this is installed.
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
