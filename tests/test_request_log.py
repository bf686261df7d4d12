"""Request logs (config/logs.py): one JSON line per request with what operations need, and
nothing of the patient: no path values, query string, body, e-mail or name."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from config.logs import JsonFormatter, RequestContextFilter
from config.urls import urlpatterns as site_urlpatterns
from tests.security.production import VAPID_KEYS

ROOT = Path(__file__).resolve().parents[1]
REQUEST_KEYS = {
    "timestamp",
    "level",
    "logger",
    "message",
    "method",
    "route",
    "view",
    "status",
    "duration_ms",
    "bytes",
    "user_id",
    "request_id",
}


def boom(request, token):
    raise RuntimeError("a bug")


# For the 500 test (`@pytest.mark.urls(__name__)`): the site plus a view that fails.
urlpatterns = [*site_urlpatterns, path("boom/<str:token>/", boom, name="boom")]


class Captured:
    """Every record that reaches the root logger's handlers, formatted as in production."""

    def __init__(self):
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    @property
    def requests(self) -> list[dict]:
        return [line for line in self.lines if line["logger"] == "config.requests"]


@pytest.fixture
def logs():
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield captured
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_writes_one_json_line_with_its_route_status_size_and_request_id(client, logs):
    response = client.get("/privacy/?token=s3cr3t-t0ken&email=camille%40example.com")
    assert response.status_code == 200
    (line,) = logs.lines  # one line, and only one, for the whole request
    assert set(line) == REQUEST_KEYS
    assert line["level"] == "INFO"
    assert (line["method"], line["route"], line["view"]) == ("GET", "privacy/", "privacy")
    assert line["status"] == 200
    assert line["bytes"] == len(response.content)
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] is None
    assert line["request_id"] == response["X-Request-ID"]
    assert "s3cr3t" not in logs.text
    assert "camille" not in logs.text


@pytest.mark.django_db
def test_an_english_page_is_logged_with_its_prefixed_route(client, logs):
    client.get("/en/privacy/")
    (line,) = logs.requests
    assert line["route"] == "en/privacy/"


@pytest.mark.django_db
def test_a_signed_in_person_is_their_user_id_never_their_email_or_name(
    patient_client, patient, treatment, logs
):
    assert patient_client.get("/dashboard/").status_code == 200
    (line,) = logs.requests
    assert line["user_id"] == patient.pk
    assert patient.email not in logs.text
    assert patient.display_name not in logs.text
    assert "guselkumab" not in logs.text.lower()  # the page names the drug; the log does not


@pytest.mark.django_db
def test_posted_data_never_reaches_the_log(client, patient, logs):
    response = client.post(
        "/accounts/login/",
        {"username": patient.email, "password": "a-long-test-password"},
    )
    assert response.status_code == 302  # signed in
    (line,) = logs.requests
    assert (line["method"], line["status"]) == ("POST", 302)
    assert "a-long-test-password" not in logs.text
    assert patient.email not in logs.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "route"),
    [
        ("/calendar/Zm9vYmFyc2VjcmV0dG9rZW4.ics", "calendar/<str:token>.ics"),
        ("/shared/checklists/Zm9vYmFyc2VjcmV0dG9rZW4/", "shared/checklists/<str:token>/"),
    ],
)
def test_a_token_in_the_path_is_logged_as_its_pattern(client, logs, url, route):
    assert client.get(url).status_code == 404  # no such token
    (line,) = logs.lines  # Django's own "Not Found: <path>" line is not written
    assert (line["route"], line["status"]) == (route, 404)
    assert "Zm9vYmFyc2VjcmV0dG9rZW4" not in logs.text


@pytest.mark.django_db
def test_an_unknown_address_is_logged_once_as_404_without_its_path(client, logs):
    assert client.get("/no-such-page/what-someone-typed/").status_code == 404
    (line,) = logs.lines
    assert (line["route"], line["view"], line["status"]) == (None, None, 404)
    assert "what-someone-typed" not in logs.text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_500_is_logged_with_its_status_and_the_error_without_the_path(logs):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/s3cr3t-t0ken/")
    assert response.status_code == 500
    (line,) = logs.requests
    assert (line["route"], line["status"]) == ("boom/<str:token>/", 500)
    (error,) = [entry for entry in logs.lines if entry["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert error["message"] == "Internal Server Error: boom/<str:token>/"
    assert "RuntimeError: a bug" in error["exc_info"]
    assert error["request_id"] == line["request_id"] == response["X-Request-ID"]
    assert "s3cr3t" not in logs.text


@pytest.mark.django_db
def test_the_proxy_request_id_is_kept_and_an_odd_one_replaced(client, logs):
    kept = client.get("/privacy/", headers={"X-Request-ID": "7f3c9a2e-proxy.1"})
    assert kept["X-Request-ID"] == "7f3c9a2e-proxy.1"
    odd = client.get("/privacy/", headers={"X-Request-ID": 'x", "status": 200, "y": "'})
    assert len(odd["X-Request-ID"]) == 32  # a new one
    assert [line["request_id"] for line in logs.requests] == [
        "7f3c9a2e-proxy.1",
        odd["X-Request-ID"],
    ]


@pytest.mark.django_db
def test_each_request_gets_its_own_id(client, logs):
    first, second = client.get("/privacy/"), client.get("/privacy/")
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_the_load_balancer_probes_are_not_logged_at_the_default_level(client, logs, url):
    client.get(url)
    assert logs.requests == []


def configured_logging(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() in a fresh process with this environment."""
    return subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-production-0123456789",
    "ALLOWED_HOSTS": "care.example.org",
    # production refuses to start without push keys and a real mailto: subject
    "VAPID_PUBLIC_KEY": VAPID_KEYS[0],
    "VAPID_PRIVATE_KEY": VAPID_KEYS[1],
    "VAPID_SUBJECT": "mailto:ops@care.example.org",
}


def test_production_logs_json_lines_by_default(tmp_path):
    result = configured_logging(
        "import logging\nlogging.getLogger('patients.tasks').info('reminders %s', '12: sent')",
        **PRODUCTION,
        VAR_DIR=str(tmp_path),
        LOG_FORMAT="",
    )
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["message"] == "reminders 12: sent"
    assert (line["level"], line["logger"]) == ("INFO", "patients.tasks")


def test_development_logs_text_and_a_wrong_format_is_refused(tmp_path):
    text = configured_logging(
        "import logging\nlogging.getLogger('x').warning('hello')", VAR_DIR=str(tmp_path)
    )
    assert text.stderr.strip().endswith("WARNING x [-] hello")
    wrong = configured_logging("", VAR_DIR=str(tmp_path), LOG_FORMAT="xml")
    assert "LOG_FORMAT must be 'json' or 'text'." in wrong.stderr


def test_celery_workers_and_beat_log_json_in_production_too(tmp_path):
    # What a worker or beat does at start (Celery's app.log.setup): the settings decide.
    result = configured_logging(
        "from config.celery import app\n"
        "app.log.setup(loglevel='INFO')\n"
        "import logging\nlogging.getLogger('celery.worker').info('w1 ready.')",
        **PRODUCTION,
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert (line["logger"], line["message"]) == ("celery.worker", "w1 ready.")
