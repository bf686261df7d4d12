"""Issue 17, item 3: sign-up and password reset tell no one who has an account.

Before, the sign-up form answered "An account already uses this e-mail address" (no valid
password needed, no rate limit), and the reset form took 19 ms for a known address against
11 ms for an unknown one. Now a valid sign-up answers "check your e-mail" for every address,
the worker e-mails a link (new address) or a word to the owner (known address), and the reset
form queues one task for both, so the request does no e-mail work for either.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import ClinicianProfile, User
from patients.signup import confirmation_token, purge_unconfirmed, send_signup_mail
from tests.factories import UserFactory
from tests.support.signup import (
    PATIENT_SIGNUP,
    confirm,
    confirmation_path,
    post_signup,
    tasks_inline,
)

pytestmark = pytest.mark.django_db

CLINICIAN_SIGNUP = {
    "email": "dr.new@hopital.example",
    "display_name": "Dr New",
    "password1": "correct horse battery staple",
    "password2": "correct horse battery staple",
    "specialty": "Dermatology",
    "institution": "CHU de Nantes",
    "registration_number": "10101010101",
    "time_zone": "Europe/Paris",
    "confirm": "on",
}
# What differs between two answers by design: the CSRF token, the CSP nonce and the session key
# (new for each response), the request's id, and Expires (the moment of the answer, no-store).
TOKENS = re.compile(rb'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]+')
VARYING_HEADERS = {"Set-Cookie", "X-Request-ID", "Expires"}


def masked(body: bytes) -> bytes:
    return TOKENS.sub(lambda m: m[1] + b"MASKED", body)


def answer(path: str, data: dict):
    """A new browser posts the form, then follows the redirect: both answers, the tasks."""
    client = Client()
    client.get(path)  # the form first, as a browser does: the CSRF cookie is then set alike
    response, calls = post_signup(client, path, data, run=False)
    page = client.get(response["Location"]) if response.status_code == 302 else None
    return response, page, calls


def same_answer(first, second) -> None:
    (post_a, page_a, _), (post_b, page_b, _) = first, second
    assert post_a.status_code == post_b.status_code == 302
    assert post_a.content == post_b.content
    headers_a = {k: v for k, v in post_a.headers.items() if k not in VARYING_HEADERS}
    headers_b = {k: v for k, v in post_b.headers.items() if k not in VARYING_HEADERS}
    assert set(post_a.headers) == set(post_b.headers)
    assert headers_a == headers_b  # the same Location among them
    assert sorted(post_a.cookies) == sorted(post_b.cookies)  # the same cookies, other values
    assert page_a.status_code == page_b.status_code == 200
    assert [t.name for t in page_a.templates] == [t.name for t in page_b.templates]
    assert masked(page_a.content) == masked(page_b.content)


# --- One answer for every address --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [("/en/accounts/signup/", PATIENT_SIGNUP), ("/accounts/signup/clinician/", CLINICIAN_SIGNUP)],
    ids=["patient", "clinician"],
)
def test_a_known_address_gets_the_same_answer_as_a_new_one(catalogue, path, data):
    owner = UserFactory(email=data["email"].lower(), display_name="Owner")
    password_before = owner.password
    known = answer(path, data | {"email": data["email"].upper()})
    new = answer(path, data | {"email": "someone.else@example.com"})
    same_answer(known, new)
    # Both queue exactly one task, with an id: no address, no name, no health data.
    ((known_task, known_args),) = known[2]
    ((new_task, new_args),) = new[2]
    assert known_task == new_task == "patients.tasks.send_signup_mail"
    stranger = User.objects.get(email="someone.else@example.com")
    assert known_args == [owner.pk] and new_args == [stranger.pk]
    assert not stranger.is_active and stranger.email_confirmed_at is None
    # The owner's account is untouched and no second one was made for the address.
    owner.refresh_from_db()
    assert owner.password == password_before and owner.display_name == "Owner"
    assert User.objects.filter(email__iexact=data["email"]).count() == 1
    assert "registration/signup_sent.html" in [t.name for t in known[1].templates]


def test_the_owner_is_told_by_e_mail_and_the_stranger_gets_no_account(patient):
    patient.language = "en"  # the notice is in the owner's language
    patient.save(update_fields=["language"])
    response, calls = post_signup(
        Client(), "/en/accounts/signup/", PATIENT_SIGNUP | {"email": "Camille@Example.com"}
    )
    assert response["Location"] == "/en/accounts/signup/sent/"
    assert calls == [("patients.tasks.send_signup_mail", [patient.pk])]
    (message,) = mail.outbox
    assert message.to == ["camille@example.com"]
    assert "Someone tried to create an Interleukin Care account" in message.subject
    assert "/accounts/login/" in message.body and "/accounts/password_reset/" in message.body
    assert "/signup/confirm/" not in message.body  # nothing to confirm: no account was made
    assert User.objects.count() == 1
    # The stranger's password does not open the owner's account.
    login = Client().post(
        "/en/accounts/login/",
        {"username": "camille@example.com", "password": PATIENT_SIGNUP["password1"]},
    )
    assert login.status_code == 200 and "_auth_user_id" not in Client().session


def test_the_owner_is_told_at_most_once_an_hour(patient):
    for _ in range(3):
        post_signup(Client(), "/accounts/signup/", PATIENT_SIGNUP | {"email": patient.email})
    assert len(mail.outbox) == 1


def test_a_form_with_errors_says_nothing_about_the_address_either(patient):
    for email in (patient.email, "nobody@example.com"):
        response, calls = post_signup(
            Client(), "/en/accounts/signup/", PATIENT_SIGNUP | {"email": email, "consent": ""}
        )
        page = response.content.decode()
        assert response.status_code == 200 and calls == []
        assert "already" not in page
    assert not mail.outbox


# --- The link --------------------------------------------------------------------------------


def test_a_new_patient_confirms_by_the_link_and_is_signed_in(catalogue):
    client = Client()
    post_signup(client, "/en/accounts/signup/", PATIENT_SIGNUP)
    user = User.objects.get()
    assert not user.is_active
    # Not usable before the link: the log-in form refuses the right password.
    login = Client().post(
        "/en/accounts/login/",
        {"username": user.email, "password": PATIENT_SIGNUP["password1"]},
    )
    assert login.status_code == 200
    (message,) = mail.outbox
    assert message.to == ["new.person@example.com"]
    path = confirmation_path(user.email)
    # The link carries an id and a signature: no address, no name, no health data.
    assert "new" not in path.lower().split("/confirm/")[1] and "person" not in path.lower()
    page = client.get(path)
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    user.refresh_from_db()
    assert not user.is_active  # opening the link (a mail scanner does) confirms nothing
    response = client.post(path, {"password": PATIENT_SIGNUP["password1"]})
    assert response.status_code == 302 and response["Location"] == "/en/treatments/new/"
    user.refresh_from_db()
    assert user.is_active and user.email_confirmed_at is not None
    assert client.get("/en/treatments/new/").status_code == 200  # signed in
    # Single use.
    assert Client().get(path).status_code == 404


def test_the_link_wants_the_password_chosen_at_sign_up(catalogue):
    client = Client()
    post_signup(client, "/en/accounts/signup/", PATIENT_SIGNUP)
    path = confirmation_path(PATIENT_SIGNUP["email"])
    response = client.post(path, {"password": "not the one chosen"})
    assert response.status_code == 200
    assert "This is not the password chosen at sign-up." in response.content.decode()
    assert not User.objects.get().is_active


def test_the_link_expires(catalogue, settings):
    client = Client()
    post_signup(client, "/en/accounts/signup/", PATIENT_SIGNUP)
    path = confirmation_path(PATIENT_SIGNUP["email"])
    days = settings.SIGNUP_CONFIRMATION_DAYS
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=1)):
        assert client.get(path).status_code == 404
        assert client.post(path, {"password": PATIENT_SIGNUP["password1"]}).status_code == 404
    assert not User.objects.get().is_active


@pytest.mark.parametrize(
    "token", ["x", "WzEsImEiXQ:1tX:bad", "a" * 5000, "W251bGwsbnVsbF0:1tXAAA:sig"]
)
def test_a_made_up_link_answers_404(catalogue, token):
    assert Client().get(f"/en/accounts/signup/confirm/{token}/").status_code == 404


def test_a_new_sign_up_replaces_an_unconfirmed_one_and_its_link(catalogue):
    # A stranger signs up first with someone's address and never confirms (they cannot).
    post_signup(
        Client(),
        "/en/accounts/signup/",
        PATIENT_SIGNUP | {"password1": "stranger pass 1", "password2": "stranger pass 1"},
    )
    stranger_link = confirmation_path(PATIENT_SIGNUP["email"])
    # The owner signs up: the pending account is replaced, with a new link.
    owner = Client()
    post_signup(owner, "/en/accounts/signup/", PATIENT_SIGNUP)
    owner_link = confirmation_path(PATIENT_SIGNUP["email"])
    assert owner_link != stranger_link and len(mail.outbox) == 2
    assert User.objects.count() == 1
    assert Client().get(stranger_link).status_code == 404
    # The stranger's password cannot confirm the owner's sign-up.
    refused = owner.post(owner_link, {"password": "stranger pass 1"})
    assert refused.status_code == 200 and not User.objects.get().is_active
    assert owner.post(owner_link, {"password": PATIENT_SIGNUP["password1"]}).status_code == 302
    assert User.objects.get().check_password(PATIENT_SIGNUP["password1"])


def test_a_clinician_confirms_then_sets_up_the_second_factor(catalogue):
    client = Client()
    post_signup(client, "/en/accounts/signup/clinician/", CLINICIAN_SIGNUP)
    profile = ClinicianProfile.objects.get()
    assert (profile.specialty, profile.registration_number) == ("Dermatology", "10101010101")
    response = confirm(client, CLINICIAN_SIGNUP["email"], CLINICIAN_SIGNUP["password1"])
    assert response["Location"] == "/en/accounts/two-step/setup/"
    assert "_auth_user_id" not in client.session  # no session before the authenticator
    assert client.get(response["Location"]).status_code == 200
    assert TOTPDevice.objects.filter(user=profile.user, confirmed=False).exists()


def test_the_worker_sends_nothing_for_a_replaced_sign_up(catalogue):
    assert send_signup_mail(user_id=987654) == "gone"
    assert not mail.outbox


def test_unconfirmed_accounts_are_purged_after_the_setting(catalogue, settings, patient):
    settings.SIGNUP_CONFIRMATION_DAYS = 2
    now = timezone.now()
    old = UserFactory(email="old@example.com", is_active=False, email_confirmed_at=None)
    User.objects.filter(pk=old.pk).update(date_joined=now - timedelta(days=2, minutes=1))
    recent = UserFactory(email="recent@example.com", is_active=False, email_confirmed_at=None)
    # An account deactivated by staff (confirmed once) is not a pending sign-up.
    blocked = UserFactory(email="blocked@example.com", is_active=False)
    User.objects.filter(pk=blocked.pk).update(date_joined=now - timedelta(days=30))
    assert purge_unconfirmed(now=now) == 1
    assert set(User.objects.values_list("email", flat=True)) == {
        patient.email,
        recent.email,
        blocked.email,
    }


def test_the_daily_privacy_task_purges_unconfirmed_accounts(catalogue, settings):
    from patients.tasks import purge_access_log

    old = UserFactory(email="old@example.com", is_active=False, email_confirmed_at=None)
    days = settings.SIGNUP_CONFIRMATION_DAYS + 1
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - timedelta(days=days))
    purge_access_log.run()
    assert not User.objects.filter(pk=old.pk).exists()


def test_a_token_for_a_confirmed_account_opens_nothing(patient):
    assert (
        Client().get(f"/accounts/signup/confirm/{confirmation_token(patient)}/").status_code == 404
    )


def test_an_invited_patient_confirms_and_lands_on_the_invitation(clinician):
    from tests.support import sign_in

    inviter = Client()
    sign_in(inviter, clinician)
    created = inviter.post("/en/invitations/new/")
    page = inviter.get(created["Location"]).content.decode()
    (code,) = re.findall(r'class="invitation-code"><strong>([A-Z0-9-]+)</strong>', page)
    link = f"/en/invitations/accept/?code={code}"
    client = Client()
    post_signup(client, "/en/accounts/signup/", PATIENT_SIGNUP | {"next": link})
    response = confirm(client, PATIENT_SIGNUP["email"], PATIENT_SIGNUP["password1"])
    assert response["Location"] == link
    assert "Dr House invites you to link your account" in client.get(link).content.decode()


# --- Password reset: the same work for a known and an unknown address --------------------------


def reset_for(email: str):
    client = Client()
    with (
        tasks_inline(run=False) as calls,
        CaptureQueriesContext(connection) as queries,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        response = client.post("/en/accounts/password_reset/", {"email": email})
    return response, calls, len(queries)


def test_a_password_reset_queues_one_task_for_a_known_and_an_unknown_address(patient):
    # Before: the request rendered the e-mail and opened the mail connection itself (and
    # earlier still, only for a known address: 19 ms against 11 ms).
    known = reset_for("camille@example.com")
    unknown = reset_for("nobody-here@example.com")
    assert known[0].status_code == unknown[0].status_code == 302
    assert known[0]["Location"] == unknown[0]["Location"]
    assert known[0].content == unknown[0].content
    assert known[2] == unknown[2]  # the same queries
    assert known[1] == [("patients.tasks.send_password_reset", [patient.pk])]
    assert unknown[1] == [("patients.tasks.send_password_reset", [None])]
    assert not mail.outbox  # the request itself sent nothing, rendered no e-mail


def test_the_reset_task_mails_the_owner_in_their_language_and_nobody_else(patient):
    from patients.tasks import send_password_reset

    patient.language = "en"
    patient.save()
    send_password_reset.run(None)
    assert not mail.outbox
    send_password_reset.run(patient.pk)
    (message,) = mail.outbox
    assert message.to == ["camille@example.com"]
    link = re.search(r"(/en/accounts/reset/[^/]+/[^/\s]+/)", message.body)[1]
    client = Client()
    set_password = client.get(link, follow=True)
    assert (
        set_password.status_code == 200 and 'name="new_password1"' in set_password.content.decode()
    )
    assert settings.SITE_URL in message.body


def test_seed_demo_makes_the_demo_accounts_usable_even_after_an_unconfirmed_sign_up(catalogue):
    import io

    from django.core.management import call_command

    # Someone signed up with the demo patient's address and never confirmed it.
    post_signup(
        Client(), "/en/accounts/signup/", PATIENT_SIGNUP | {"email": "patient@demo.example"}
    )
    assert not User.objects.get(email="patient@demo.example").is_active
    call_command("seed_demo", stdout=io.StringIO())
    demo = User.objects.get(email="patient@demo.example")
    assert demo.is_active and demo.email_confirmed_at is not None
    response = Client().post(
        "/en/accounts/login/",
        {"username": "patient@demo.example", "password": "demo-biologic-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/en/dashboard/"
