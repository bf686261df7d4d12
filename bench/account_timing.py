"""Median time of the password-reset and sign-up requests for a known and an unknown address
(issue 17, item 3): the web request, through every middleware, with Django's test client, the
real password hasher and the real broker (each request queues its task on Redis; the queue is
emptied at the end). Run on the database of DATABASE_URL, which must be migrated:

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python -m bench.account_timing [requests per case, default 200]

Interleaved (known, unknown, known, ...) so that a change in the machine's load touches both.
Prints the median and the 10th and 90th percentiles of each, in milliseconds.
"""

import os
import statistics
import sys
import time
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from celery import current_app  # noqa: E402
from django.test import Client  # noqa: E402

from patients.models import User  # noqa: E402

KNOWN = "timing-owner@example.com"
PASSWORD = "a long timing passphrase 2026"


def timed(client: Client, path: str, data: dict) -> float:
    start = time.perf_counter()
    response = client.post(path, data)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 302, response.status_code
    return elapsed


def summary(values: list[float]) -> str:
    deciles = statistics.quantiles(values, n=10)
    return (
        f"median {statistics.median(values):.1f} ms (p10 {deciles[0]:.1f}, p90 {deciles[-1]:.1f})"
    )


def main(count: int) -> None:
    owner, _ = User.objects.get_or_create(email=KNOWN, defaults={"display_name": "Owner"})
    owner.set_password(PASSWORD)
    owner.save()
    client = Client(SERVER_NAME="localhost")
    run = uuid.uuid4().hex[:8]
    results: dict[str, list[float]] = {k: [] for k in ("reset known", "reset unknown")}
    results |= {"sign-up known": [], "sign-up new": []}
    for _ in range(5):  # warm-up: imports, templates, connections
        timed(client, "/en/accounts/password_reset/", {"email": KNOWN})
    for i in range(count):
        results["reset known"].append(
            timed(client, "/en/accounts/password_reset/", {"email": KNOWN})
        )
        results["reset unknown"].append(
            timed(
                client, "/en/accounts/password_reset/", {"email": f"nobody-{run}-{i}@example.com"}
            )
        )
    signup = {
        "display_name": "Timing",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "time_zone": "Europe/Paris",
        "consent": "on",
    }
    for i in range(count // 4):  # the password hash (Argon2) dominates: fewer rounds
        results["sign-up known"].append(
            timed(client, "/en/accounts/signup/", signup | {"email": KNOWN})
        )
        results["sign-up new"].append(
            timed(client, "/en/accounts/signup/", signup | {"email": f"new-{run}-{i}@example.com"})
        )
    for name, values in results.items():
        print(f"{name:15} n={len(values):3}  {summary(values)}")
    User.objects.filter(email__startswith=f"new-{run}-").delete()
    owner.delete()
    with current_app.connection_for_write() as connection:
        purged = current_app.control.purge(connection=connection)
    print(f"(database: {django.db.connection.vendor}; {purged} queued tasks purged)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
