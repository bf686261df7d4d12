"""Oversized input: a body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 before anything reads it,
too many fields answer 400 with a proper page, files are never kept; never a 500."""

import asyncio

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from patients.models import ReminderSettings

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def body_of(size: int) -> bytes:
    return b"note=" + b"x" * (size - len(b"note="))


def test_the_limits_are_those_of_the_settings():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 200


def test_a_body_over_the_limit_answers_413_with_a_plain_message(db):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    response = Client().generic("POST", reverse("login"), body_of(size), content_type=FORM)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "too large" in response.content.decode() or "volumineuse" in response.content.decode()


def test_the_413_message_follows_the_language(db):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    response = Client().generic("POST", "/en/accounts/login/", body_of(size), content_type=FORM)
    assert response.content.decode() == "This request is too large. Send less text and try again."


def test_a_signed_in_post_over_the_limit_changes_nothing(patient_client, patient):
    """The view never runs: the reminder settings stay as they were."""
    before = ReminderSettings.objects.filter(patient=patient).count()
    size = 10 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = patient_client.generic(
        "POST", reverse("patients:reminder_settings"), body_of(size), content_type=FORM
    )
    assert response.status_code == 413
    assert ReminderSettings.objects.filter(patient=patient).count() == before


def test_a_body_just_under_the_limit_is_read_as_usual(db):
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = Client().generic("POST", reverse("login"), body_of(size), content_type=FORM)
    assert response.status_code == 200  # the log-in form again, with its errors
    assert 'name="username"' in response.content.decode()


def test_a_wrong_content_length_is_not_an_error(db):
    response = Client().generic(
        "POST", reverse("login"), b"username=a", content_type=FORM, CONTENT_LENGTH="abc"
    )
    assert response.status_code == 200


def fields(count: int) -> str:
    return "&".join(f"f{i}=1" for i in range(count))


@pytest.mark.parametrize("language", ["", "/en"])
def test_too_many_fields_answer_400_with_a_proper_page(patient_client, language):
    path = language + reverse("patients:reminder_settings")
    response = patient_client.generic("POST", path, fields(201), content_type=FORM)
    assert response.status_code == 400
    page = response.content.decode()
    assert "<html" in page and "<title>" in page and '<main id="main">' in page
    assert "Requête incorrecte" in page and "Bad request" in page
    first = "Bad request" if language else "Requête incorrecte"
    assert f"<h1>{first}</h1>" in page
    assert f'<html lang="{"en" if language else "fr"}">' in page


def test_too_many_fields_in_a_query_string_answer_400(db):
    response = Client().get(reverse("content:search") + "?" + fields(201))
    assert response.status_code == 400


def test_two_hundred_fields_are_still_read(patient_client):
    path = reverse("patients:reminder_settings")
    response = patient_client.generic("POST", path, fields(200), content_type=FORM)
    assert response.status_code == 200


def test_a_file_sent_in_a_form_is_dropped():
    """No form takes a file: the other fields are read, the file is not kept."""
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.7 " + b"x" * 1000)
    request = RequestFactory().post("/accounts/login/", {"username": "a", "scan": upload})
    assert request.POST["username"] == "a"
    assert not request.FILES


def asgi_post(path: str, body: bytes, chunk: int = 64 * 1024) -> int:
    """POST `body` through the ASGI handler in chunks, without a Content-Length (as a chunked
    request arrives), and return the status."""

    async def go():
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", FORM.encode()),
                (b"transfer-encoding", b"chunked"),
                # A CSRF cookie, so that the CSRF check goes on to read the body.
                (b"cookie", b"csrftoken=" + b"a" * 32),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        app = ApplicationCommunicator(get_asgi_application(), scope)
        for start in range(0, len(body), chunk):
            more = start + chunk < len(body)
            await app.send_input(
                {"type": "http.request", "body": body[start : start + chunk], "more_body": more}
            )
        message = await app.receive_output(timeout=30)
        await app.wait(timeout=30)
        return message["status"]

    return asyncio.run(go())


def test_a_chunked_body_over_the_limit_answers_400(db):
    """No Content-Length to check first: Django's own RequestDataTooBig stops it (400)."""
    body = body_of(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    assert asgi_post(reverse("login"), body) == 400
    # The control: a small body is read, and then fails the CSRF check (no token in it).
    assert asgi_post(reverse("login"), body_of(1024)) == 403


def test_the_400_page_costs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(reverse("content:search") + "?" + fields(201))
    assert response.status_code == 400


def test_the_413_answer_costs_no_query(patient_client, django_assert_num_queries):
    """Not even the session's: the body is refused before anyone looks at who sent it."""
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    path = reverse("patients:reminder_settings")
    with django_assert_num_queries(0):
        response = patient_client.generic("POST", path, body_of(size), content_type=FORM)
    assert response.status_code == 413
