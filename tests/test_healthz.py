import pytest

from tests.conftest import need_service


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_and_redis_answer(client, settings):
    need_service(
        redis_answers(settings.CELERY_BROKER_URL), f"no Redis at {settings.CELERY_BROKER_URL}"
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}
    assert response["Cache-Control"].startswith("max-age=0")
