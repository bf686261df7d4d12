import pytest
from django.conf import settings
from django.core import mail
from django.test import TestCase

from patients.models import User
from tests.support.signup import confirm, post_signup, tasks_inline

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "New.Person@Example.com",
    "display_name": "New Person",
    "password1": "correct horse battery staple",
    "password2": "correct horse battery staple",
    "time_zone": "Europe/Paris",
    "consent": "on",
}


def test_signing_up_records_the_consent_with_its_date_and_notice_version(client, catalogue):
    response, _calls = post_signup(client, "/en/accounts/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/en/accounts/signup/sent/"
    response = confirm(client, "new.person@example.com", SIGNUP["password1"])
    assert response.status_code == 302 and response["Location"] == "/en/treatments/new/"
    user = User.objects.get()
    assert user.is_active and user.email_confirmed_at is not None
    assert user.email == "new.person@example.com"
    assert user.is_patient and user.language == "en"
    assert user.health_data_consent_at is not None
    assert user.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION


def test_without_consent_no_account_is_made_and_nothing_typed_is_lost(client, catalogue):
    response = client.post("/en/accounts/signup/", SIGNUP | {"consent": ""})
    assert response.status_code == 200
    assert "We cannot keep your health data without your consent." in response.content.decode()
    assert 'value="New.Person@Example.com"' in response.content.decode()
    assert not User.objects.exists()


def test_an_e_mail_address_is_one_account_whatever_its_case(client, patient):
    response, _calls = post_signup(
        client, "/en/accounts/signup/", SIGNUP | {"email": "CAMILLE@example.com"}
    )
    assert response["Location"] == "/en/accounts/signup/sent/"
    assert list(User.objects.values_list("email", flat=True)) == ["camille@example.com"]
    assert mail.outbox[0].to == ["camille@example.com"]  # the owner is told, nothing is made
    assert "qui en a déjà un" in mail.outbox[0].body  # in the owner's language (French)


def test_a_weak_password_is_refused(client, catalogue):
    response = client.post(
        "/en/accounts/signup/", SIGNUP | {"password1": "password", "password2": "password"}
    )
    assert "This password is too common." in response.content.decode()


def test_an_unknown_time_zone_is_refused(client, catalogue):
    response = client.post("/en/accounts/signup/", SIGNUP | {"time_zone": "Mars/Olympus"})
    assert "is not a known time zone." in response.content.decode()
    assert not User.objects.exists()


def test_log_in_with_the_e_mail_in_any_case_continues_in_the_chosen_language(client, patient):
    patient.language = "en"
    patient.save()
    response = client.post(
        "/accounts/login/", {"username": "Camille@Example.com", "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/dashboard/"  # her own space, in her language


def test_log_out_is_a_post(client, patient):
    client.force_login(patient)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/dashboard/").status_code == 302


def test_password_reset_sends_a_link(client, patient):
    with tasks_inline(), TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/en/accounts/password_reset/", {"email": "camille@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_profile_changes_zone_and_language(client, patient):
    client.force_login(patient)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "Cam", "time_zone": "America/Montreal", "language": "en"},
    )
    assert response.status_code == 302 and response["Location"] == "/en/accounts/profile/"
    patient.refresh_from_db()
    assert (patient.display_name, patient.time_zone, patient.language) == (
        "Cam",
        "America/Montreal",
        "en",
    )


def test_the_language_switch_is_remembered_on_the_profile(client, patient):
    client.force_login(patient)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/therapies/"})
    assert response["Location"] == "/en/therapies/"
    patient.refresh_from_db()
    assert patient.language == "en"


def test_deleting_the_account_erases_the_health_data(client, patient, treatment):
    from datetime import date

    from patients.models import Injection, Treatment
    from tests.factories import log_dose

    log_dose(treatment, 1, date(2027, 1, 4))
    client.force_login(patient)
    response = client.post("/en/accounts/delete/", {"password": "wrong password"})
    assert "This is not your password." in response.content.decode()
    assert User.objects.filter(pk=patient.pk).exists()
    response = client.post("/en/accounts/delete/", {"password": "a-long-test-password"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not Treatment.objects.exists() and not Injection.objects.exists()
    assert client.get("/dashboard/").status_code == 302  # signed out


def test_the_privacy_notice_names_its_version(client, db):
    page = client.get("/en/privacy/").content.decode()
    assert settings.PRIVACY_NOTICE_VERSION in page
    assert "explicit consent" in page
