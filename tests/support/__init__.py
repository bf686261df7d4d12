"""Shared test infrastructure. Test modules import from here (never from one another, never
from a conftest):

- `auth`: signing a test client in (both log-in steps, or through the forms);
- `mail`: mail backends a worker in another process loads by dotted path;
- `services`: skip-or-fail gates for PostgreSQL, Redis and Chromium;
- `database`: the therapy catalogue (and, for the tests that ask, the articles and glossary)
  loaded once per test database, and put back after a flush;
- `matrix`: the access matrix (personas, URL cases, the world they meet, one request);
- `walk`: one walk of every URL of the matrix for every persona, recorded once per run for the
  matrix, no-store, CSP and query-string checks;
- `workers`: a queue of the test's own, Celery workers in a thread or a process (through
  bench/celery_workers.py), patients whose reminders are due now;
- `queries`: query counts under load (bulk-made patients, every page measured twice);
- `scheduling`: which tests share an xdist worker under `make test`.
"""

from tests.support.auth import authenticator_of, code_of, log_in_with_code, login_verified, sign_in
from tests.support.mail import FlakyBackend, StallingFileBackend
from tests.support.services import REQUIRE_SERVICES, chromium_path, need_service, redis_answers

__all__ = [
    "REQUIRE_SERVICES",
    "FlakyBackend",
    "StallingFileBackend",
    "authenticator_of",
    "chromium_path",
    "code_of",
    "log_in_with_code",
    "login_verified",
    "need_service",
    "redis_answers",
    "sign_in",
]
