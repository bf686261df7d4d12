"""The health checks: /healthz (every dependency, for monitoring) and /readyz (the load
balancer's: the database alone). Both cheap, never cached, reachable over plain HTTP."""

import pytest
from django.db import OperationalError

from tests.support.services import need_service, redis_answers


class BrokenCursor:
    """What a database that went away gives: the connection object is there, the query fails."""

    def __enter__(self):
        raise OperationalError("connection refused")

    def __exit__(self, *exc):
        return False


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setattr("config.views.connection.cursor", lambda: BrokenCursor())


@pytest.fixture
def broker_down():
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    yield
    app.conf.broker_url = original


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_and_redis_answer(client, settings):
    need_service(
        redis_answers(settings.CELERY_BROKER_URL), f"no Redis at {settings.CELERY_BROKER_URL}"
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client, broker_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_database_when_it_is_down(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_healthz_checks_a_shared_cache_when_there_is_one(client, settings, broker_down):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"


@pytest.mark.django_db
def test_readyz_is_ok_with_the_database_even_when_the_broker_is_down(
    client, broker_down, django_assert_num_queries
):
    with django_assert_num_queries(1):  # SELECT 1: no session, no user
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response
    assert not response.cookies


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_down(client, database_down):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_load_balancer_may_probe_over_plain_http_when_https_is_enforced(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/privacy/").status_code == 301  # everything else goes to HTTPS
    assert client.get(path).status_code != 301


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_health_check_answers_only_get(client, path):
    assert client.post(path).status_code == 405
