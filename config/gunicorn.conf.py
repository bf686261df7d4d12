"""Gunicorn's settings for the web processes (Procfile; docs/deploy.md explains each figure).

Pages are CPU work in Python plus PostgreSQL round trips, with no outside call: sync workers,
about two per core. No access log: config/logs.py writes one line per request, without the
query string gunicorn's would carry.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
# The slowest page is a letter's PDF (about 0.1 s); a request still running after this is stuck.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5  # behind the reverse proxy, which reuses its connections
# WeasyPrint's memory grows with the letters a process renders: recycle now and then.
max_requests = 2000
max_requests_jitter = 200
accesslog = None

if os.environ.get("LOG_FORMAT") == "json" or (
    os.environ.get("APP_ENV") == "production" and os.environ.get("LOG_FORMAT", "") == ""
):
    # Gunicorn's own lines (start, worker timeouts) as JSON too, like the app's. Gunicorn
    # merges this over its defaults key by key, so every key it has is given here; with a
    # logging dict it would also write access lines, which stay off.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
        "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }

# Gunicorn 25's control socket (gunicornc) defaults to one path per user
# ($XDG_RUNTIME_DIR/gunicorn.ctl): several masters on one host would replace each other's.
# Off unless GUNICORN_CONTROL_SOCKET names a path for this instance (issue 17, item 13).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
