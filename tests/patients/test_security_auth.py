"""Signing in (issue #7): password hashing and rules, throttled log-ins, the second factor,
recovery codes, session lifetimes and signing other sessions out."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from config import settings as project_settings
from patients.management.commands.seed_demo import DEMO_TOTP_KEY
from patients.models import User
from tests.factories import ClinicianFactory, UserFactory
from tests.support import authenticator_of, code_of, log_in_with_code, sign_in
from tests.support.auth import CLINICIAN_SIGNUP
from tests.support.signup import post_signup, sign_up_and_confirm, tasks_inline

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
SIGNUP = {
    "email": "new@example.com",
    "display_name": "New Person",
    "password1": "correct horse battery staple",
    "password2": "correct horse battery staple",
    "time_zone": "Europe/Paris",
    "consent": "on",
}


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def password_step(client, email, password=PASSWORD, **extra):
    return client.post("/en/accounts/login/", {"username": email, "password": password} | extra)


def signed_in_as(client) -> int | None:
    """The id of the user this client's session signs in, if any (read from the server)."""
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def codes_on(response) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7]+)</code></li>", page_of(response))


# --- Passwords ---------------------------------------------------------------------------------


@pytest.fixture
def real_hashers(settings):
    """tests/conftest.py makes hashing fast (MD5) for every other test: here it is under test."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def test_a_new_account_is_hashed_with_argon2(client, catalogue, real_hashers):
    post_signup(client, "/en/accounts/signup/", SIGNUP)
    assert User.objects.get().password.startswith("argon2$")


def test_an_older_pbkdf2_hash_is_upgraded_to_argon2_at_the_next_log_in(
    client, catalogue, real_hashers
):
    from django.contrib.auth.hashers import make_password

    user = UserFactory(email="old@example.com")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert password_step(client, "old@example.com").status_code == 302
    assert User.objects.get(pk=user.pk).password.startswith("argon2$")


def test_an_eight_character_common_password_is_refused_on_the_form(client, catalogue):
    response = client.post(
        "/en/accounts/signup/", SIGNUP | {"password1": "iloveyou", "password2": "iloveyou"}
    )
    page = page_of(response)
    assert "This password is too common." in page
    assert 'value="new@example.com"' in page  # nothing typed is lost
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Xk7#pQ2", "This password is too short. It must contain at least 8 characters."),
        ("83920174651", "This password is entirely numeric."),
        ("new@example.com!", "The password is too similar to the e-mail address."),
    ],
)
def test_short_numeric_or_look_alike_passwords_are_refused(client, catalogue, password, message):
    response = client.post(
        "/en/accounts/signup/", SIGNUP | {"password1": password, "password2": password}
    )
    assert message in page_of(response)


def test_a_100_character_passphrase_is_accepted(client, catalogue):
    passphrase = ("my cat naps on the warm radiator every winter " * 3)[:100]
    assert len(passphrase) == 100
    data = SIGNUP | {"password1": passphrase, "password2": passphrase}
    response = sign_up_and_confirm(client, "/en/accounts/signup/", data)
    assert response.status_code == 302 and signed_in_as(client) == User.objects.get().pk
    assert User.objects.get().check_password(passphrase)


# --- Throttled log-ins (django-axes) -------------------------------------------------------------


def fail(client, email="camille@example.com", times=5, **headers):
    """Wrong passwords; returns the status of each answer."""
    statuses = []
    for _ in range(times):
        response = client.post(
            "/en/accounts/login/", {"username": email, "password": "wrong"}, headers=headers
        )
        statuses.append(response.status_code)
    return statuses


def test_after_five_wrong_passwords_even_the_right_one_answers_429_with_retry_after(
    client, patient
):
    with time_machine.travel(timezone.now(), tick=False):
        assert fail(client) == [200, 200, 200, 200, 429]  # the fifth failure locks
        response = password_step(client, "camille@example.com")
    assert response.status_code == 429
    # Each attempt while locked counts as a failure (axes' default): the cool-off starts again.
    assert response["Retry-After"] == str(15 * 60) and settings.AXES_COOLOFF_TIME.seconds == 900
    assert "Too many attempts" in response.content.decode()
    assert signed_in_as(client) is None


def test_the_locked_out_page_speaks_the_visitors_language(client, patient):
    fail(client)
    response = client.post("/accounts/login/", {"username": "camille@example.com", "password": "x"})
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert '<html lang="fr">' in response.content.decode()
    english = client.post(
        "/en/accounts/login/", {"username": "camille@example.com", "password": "x"}
    )
    assert "Too many attempts" in english.content.decode()


def test_the_lock_lifts_after_the_cool_off(client, patient):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client)
        assert password_step(client, "camille@example.com").status_code == 429
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(minutes=1), tick=False):
        response = password_step(client, "camille@example.com")
        assert response.status_code == 302
        assert signed_in_as(client) == patient.pk


def test_the_lock_holds_one_address_and_one_account_only(patient, other_patient):
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    fail(attacker)
    # The same account from another address, another account from the same address: open.
    assert (
        password_step(Client(REMOTE_ADDR="198.51.100.7"), "camille@example.com").status_code == 302
    )
    assert password_step(attacker, "other@example.com").status_code == 302


def test_changing_the_case_of_the_e_mail_does_not_reset_the_count(client, patient):
    for email in ("camille@example.com", "CAMILLE@example.com", "Camille@Example.com"):
        fail(client, email, times=2)
    assert password_step(client, "camille@example.com").status_code == 429


def test_without_a_trusted_proxy_a_forged_x_forwarded_for_does_not_dodge_the_lock(client, patient):
    for n in range(5):
        fail(client, times=1, X_Forwarded_For=f"192.0.2.{n}")
    response = client.post(
        "/en/accounts/login/",
        {"username": "camille@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.200"},
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_one_locked(settings, patient):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    attacker, neighbour = Client(REMOTE_ADDR=proxy), Client(REMOTE_ADDR=proxy)
    # The proxy appends the address it saw; what the client wrote before it may be anything.
    for n in range(5):
        fail(attacker, times=1, X_Forwarded_For=f"192.0.2.{n}, 203.0.113.66")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}
    forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.66"}
    locked = attacker.post(
        "/en/accounts/login/",
        {"username": "camille@example.com", "password": PASSWORD},
        headers=forged,
    )
    assert locked.status_code == 429
    other = neighbour.post(
        "/en/accounts/login/",
        {"username": "camille@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert other.status_code == 302  # another client behind the same proxy is not locked


def test_the_access_log_holds_who_and_where_but_no_health_data(client, patient, treatment):
    from axes.models import AccessLog

    password_step(client, "camille@example.com")
    log = AccessLog.objects.get()
    assert (log.username, log.ip_address) == ("camille@example.com", "127.0.0.1")
    assert "guselkumab" not in str(AccessLog.objects.values().get())


# --- The second factor -------------------------------------------------------------------------


def test_a_specialists_password_alone_opens_no_session(client, clinician):
    device = authenticator_of(clinician)
    response = password_step(client, clinician.email)
    assert response["Location"] == "/en/accounts/two-step/"
    assert signed_in_as(client) is None
    assert client.get("/en/clinic/")["Location"].startswith("/en/accounts/login/")
    response = client.post("/en/accounts/two-step/", {"code": code_of(device)})
    assert response["Location"] == "/clinic/"  # in the language of the clinician's profile
    assert signed_in_as(client) == clinician.pk
    assert client.get("/en/clinic/").status_code == 200


def test_a_wrong_code_is_an_error_on_the_form_and_signs_nobody_in(client, clinician):
    authenticator_of(clinician)
    password_step(client, clinician.email)
    response = client.post("/en/accounts/two-step/", {"code": "000000"})
    assert "This code is not right." in page_of(response)
    assert signed_in_as(client) is None


def test_wrong_codes_slow_down_the_next_attempts(client, clinician):
    device = authenticator_of(clinician)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        password_step(client, clinician.email)
        client.post("/en/accounts/two-step/", {"code": "000000"})
        refused = client.post("/en/accounts/two-step/", {"code": code_of(device)})
        assert "Too many wrong codes. Wait 1 second and try again." in page_of(refused)
        assert signed_in_as(client) is None
    device.refresh_from_db()
    assert device.throttling_failure_count == 1 and settings.OTP_TOTP_THROTTLE_FACTOR == 1
    with time_machine.travel(now + timedelta(seconds=3), tick=False):
        response = client.post("/en/accounts/two-step/", {"code": code_of(device)})
        assert response.status_code == 302 and signed_in_as(client) == clinician.pk


def test_the_step_between_password_and_code_expires_after_five_minutes(client, clinician):
    device = authenticator_of(clinician)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        password_step(client, clinician.email)
    with time_machine.travel(now + timedelta(minutes=5, seconds=1), tick=False):
        response = client.post("/en/accounts/two-step/", {"code": code_of(device)})
        assert response["Location"] == "/en/accounts/login/"
        assert signed_in_as(client) is None
        assert "Your log-in took too long" in page_of(client.get("/en/accounts/login/"))


def test_a_specialist_without_an_app_sets_one_up_then_keeps_ten_single_use_codes(client, clinician):
    response = password_step(client, clinician.email)
    assert response["Location"] == "/en/accounts/two-step/setup/"
    page = page_of(client.get("/en/accounts/two-step/setup/"))
    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assert "<svg" in page and 'class="qr"' in page
    assert re.sub(r"\s", "", readable(page)).startswith(base32_of(device)[:8])
    assert signed_in_as(client) is None
    wrong = client.post("/en/accounts/two-step/setup/", {"code": "123456"})
    assert "This code is not right." in page_of(wrong)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # past the 1 s throttle
        response = client.post("/en/accounts/two-step/setup/", {"code": code_of(device)})
    codes = codes_on(response)
    assert len(codes) == 10 == len(set(codes))
    assert 'href="/clinic/"' in response.content.decode()
    assert signed_in_as(client) == clinician.pk
    assert client.get("/en/clinic/").status_code == 200
    # A recovery code opens the next log-in once, then never again.
    client.post("/en/accounts/logout/")
    password_step(client, clinician.email)
    assert client.post("/en/accounts/two-step/", {"code": codes[0]}).status_code == 302
    client.post("/en/accounts/logout/")
    password_step(client, clinician.email)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        reused = client.post("/en/accounts/two-step/", {"code": codes[0]})
    assert "This code is not right." in page_of(reused)
    assert StaticToken.objects.filter(device__user=clinician).count() == 9


def readable(page: str) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', page).group(1)


def base32_of(device) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


def test_a_clinician_signing_up_has_no_session_before_setting_up_the_app(client, catalogue):
    response = sign_up_and_confirm(client, "/en/accounts/signup/clinician/", CLINICIAN_SIGNUP)
    assert response["Location"] == "/en/accounts/two-step/setup/"
    assert signed_in_as(client) is None
    assert client.get("/en/clinic/")["Location"].startswith("/en/accounts/login/")


def test_an_unverified_specialist_session_opens_only_the_second_step(client, clinician):
    authenticator_of(clinician)
    client.force_login(clinician)  # a session no code verified, however it came to be
    response = client.get("/en/clinic/")
    assert response["Location"] == "/en/accounts/two-step/"
    assert signed_in_as(client) is None  # now only a pending log-in
    htmx = Client()
    htmx.force_login(clinician)
    response = htmx.get("/en/clinic/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/en/accounts/two-step/"


def test_the_admin_needs_a_verified_staff_session(client, catalogue):
    admin = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    assert client.get("/en/admin/login/")["Location"].startswith("/en/accounts/login/")
    client.force_login(admin)
    assert client.get("/en/admin/")["Location"] == "/en/accounts/two-step/setup/"
    verified = sign_in(Client(), admin)
    assert verified.get("/en/admin/").status_code == 200


def test_a_password_reset_does_not_skip_the_second_step(client, clinician):
    authenticator_of(clinician)
    with tasks_inline(), TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/en/accounts/password_reset/", {"email": clinician.email})
    link = re.search(r"https?://[^/\s]+(/\S*/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new = "an entirely new passphrase"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302 and signed_in_as(client) is None
    response = password_step(client, clinician.email, new)
    assert response["Location"] == "/en/accounts/two-step/"
    assert signed_in_as(client) is None


# --- Patients: optional second factor -----------------------------------------------------------


def test_a_patient_turns_the_second_factor_on_and_off(client, patient, treatment):
    elsewhere = sign_in(Client(), patient)
    sign_in(client, patient)
    assert "Off: your password alone" in page_of(client.get("/en/accounts/security/"))
    page_of(client.get("/en/accounts/security/two-step/on/"))
    device = TOTPDevice.objects.get(user=patient, confirmed=False)
    codes = codes_on(client.post("/en/accounts/security/two-step/on/", {"code": code_of(device)}))
    assert len(codes) == 10
    assert "You have 10 recovery codes left." in page_of(client.get("/en/accounts/security/"))
    # Turning it on ended the other session.
    assert elsewhere.get("/en/dashboard/")["Location"].startswith("/en/accounts/login/")
    # The next log-in asks for a code.
    client.post("/en/accounts/logout/")
    assert password_step(client, patient.email)["Location"] == "/en/accounts/two-step/"
    client.post("/en/accounts/two-step/", {"code": codes[0]})
    assert signed_in_as(client) == patient.pk
    # Off: only with a current code.
    wrong = client.post("/en/accounts/security/two-step/off/", {"code": "999999"})
    assert "This code is not right." in page_of(wrong)
    assert TOTPDevice.objects.filter(user=patient).exists()
    response = client.post("/en/accounts/security/two-step/off/", {"code": codes[1]})
    assert response["Location"] == "/en/accounts/security/"
    assert not TOTPDevice.objects.filter(user=patient).exists()
    client.post("/en/accounts/logout/")
    assert password_step(client, patient.email)["Location"] == "/dashboard/"


def test_new_recovery_codes_replace_the_old_ones(client, patient):
    from patients.security import new_recovery_codes

    device = authenticator_of(patient)
    old = new_recovery_codes(user=patient)
    sign_in(client, patient)
    new = codes_on(client.post("/en/accounts/security/recovery-codes/"))
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/en/accounts/logout/")
    password_step(client, patient.email)
    refused = client.post("/en/accounts/two-step/", {"code": old[0]})
    assert "This code is not right." in page_of(refused)
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # past the 1 s throttle
        assert client.post("/en/accounts/two-step/", {"code": new[0]}).status_code == 302
    client.post("/en/accounts/logout/")
    password_step(client, patient.email)  # the app itself still works
    assert client.post("/en/accounts/two-step/", {"code": code_of(device)}).status_code == 302


def test_specialists_cannot_turn_the_second_factor_off(client, clinician):
    sign_in(client, clinician)
    assert client.get("/en/accounts/security/two-step/off/").status_code == 404
    page = page_of(client.get("/en/accounts/security/"))
    assert "Specialists and administrators always use two-step verification." in page


def test_the_security_page_costs_the_same_queries_whatever_the_codes(client, patient):
    from patients.security import new_recovery_codes

    sign_in(client, patient)
    client.get("/en/accounts/security/")
    with CaptureQueriesContext(connection) as without:
        client.get("/en/accounts/security/")
    authenticator_of(patient)
    new_recovery_codes(user=patient)
    with CaptureQueriesContext(connection) as with_codes:
        page_of(client.get("/en/accounts/security/"))
    assert len(with_codes.captured_queries) == len(without.captured_queries)


# --- Sessions ------------------------------------------------------------------------------------


def test_logging_in_gives_a_new_session_key(client, patient):
    client.get("/en/accounts/login/")
    session = client.session
    session["before"] = True
    session.save()
    before = client.cookies["sessionid"].value
    password_step(client, patient.email)
    assert client.cookies["sessionid"].value != before
    assert signed_in_as(client) == patient.pk


def test_logging_out_ends_the_session_on_the_server(client, patient):
    password_step(client, patient.email)
    cookie = client.cookies["sessionid"].value
    client.post("/en/accounts/logout/")
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get("/en/dashboard/")["Location"].startswith("/en/accounts/login/")


def test_a_specialist_is_signed_out_after_30_idle_minutes(client, clinician):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        log_in_with_code(client, clinician, prefix="/en")
    with time_machine.travel(now + timedelta(minutes=29), tick=False):
        assert client.get("/en/clinic/").status_code == 200  # activity: the clock restarts
    with time_machine.travel(now + timedelta(minutes=58), tick=False):
        assert client.get("/en/clinic/").status_code == 200
    with time_machine.travel(now + timedelta(minutes=89), tick=False):
        response = client.get("/en/clinic/")
        assert response["Location"] == "/en/accounts/login/?next=/en/clinic/"
        assert signed_in_as(client) is None
        page = page_of(client.get(response["Location"]))
        assert "You were signed out after 30 minutes without activity." in page


def test_a_specialist_is_signed_out_after_12_hours_however_active(client, clinician):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        log_in_with_code(client, clinician, prefix="/en")
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(now + timedelta(minutes=minutes), tick=False):
            assert client.get("/en/clinic/").status_code == 200
    with time_machine.travel(now + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/en/clinic/").status_code == 302
        assert signed_in_as(client) is None


def test_an_idle_htmx_request_is_sent_to_the_log_in_page(client, patient, treatment):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        password_step(client, patient.email)
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        response = client.get(
            f"/en/treatments/{treatment.pk}/history/",
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/en/dashboard/"},
        )
        assert response["HX-Redirect"] == "/en/accounts/login/?next=/en/dashboard/"


def test_a_patient_who_stays_signed_in_keeps_14_days_otherwise_a_browser_session(
    patient, treatment
):
    now = timezone.now()
    short, kept = Client(), Client()
    with time_machine.travel(now, tick=False):
        password_step(short, patient.email)
        password_step(kept, patient.email, remember="on")
    assert short.cookies["sessionid"]["max-age"] == ""  # gone when the browser closes
    assert kept.cookies["sessionid"]["max-age"] == 14 * 24 * 3600
    with time_machine.travel(now + timedelta(hours=3), tick=False):
        assert short.get("/en/dashboard/").status_code == 302  # 30 idle minutes passed
        assert kept.get("/en/dashboard/").status_code == 200
    with time_machine.travel(now + timedelta(days=14, minutes=1), tick=False):
        assert kept.get("/en/dashboard/").status_code == 302


def test_a_specialist_cannot_stay_signed_in(client, clinician):
    device = authenticator_of(clinician)
    password_step(client, clinician.email, remember="on")
    client.post("/en/accounts/two-step/", {"code": code_of(device)})
    assert client.cookies["sessionid"]["max-age"] == ""


def test_a_password_change_signs_out_the_other_sessions_only(client, patient, treatment):
    elsewhere = sign_in(Client(), patient)
    sign_in(client, patient)
    new = "an entirely new passphrase"
    response = client.post(
        "/en/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/en/dashboard/").status_code == 200
    assert elsewhere.get("/en/dashboard/").status_code == 302


def test_sign_out_everywhere_else(client, clinician):
    elsewhere = sign_in(Client(), clinician)
    sign_in(client, clinician)
    response = client.post("/en/accounts/security/sign-out-others/")
    assert response["Location"] == "/en/accounts/security/"
    assert "Your other sessions are signed out." in page_of(client.get("/en/accounts/security/"))
    assert client.get("/en/clinic/").status_code == 200  # still verified, still signed in
    assert elsewhere.get("/en/clinic/")["Location"].startswith("/en/accounts/login/")


# --- Demo ---------------------------------------------------------------------------------------


def test_the_demo_clinician_has_a_known_authenticator_and_demo_totp_prints_its_code(catalogue):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    clinician = User.objects.get(email="clinician@demo.example")
    device = TOTPDevice.objects.get(user=clinician)
    assert device.confirmed and device.key == DEMO_TOTP_KEY
    assert "demo_totp" in out.getvalue() and base32_of(device)[:4] in out.getvalue()
    code = io.StringIO()
    call_command("demo_totp", stdout=code, stderr=io.StringIO())
    client = Client()
    password_step(client, "clinician@demo.example", "demo-biologic-2026")
    response = client.post("/en/accounts/two-step/", {"code": code.getvalue().strip()})
    assert response["Location"] == "/clinic/"


def test_clinician_factory_accounts_are_not_given_an_app_unasked(catalogue):
    """The personas start without a device; `sign_in` gives specialists one."""
    assert not TOTPDevice.objects.filter(user=ClinicianFactory()).exists()


# --- issue 17, item 1: every spelling that signs in shares one count; a ceiling per account ----


def test_a_fullwidth_spelling_of_the_address_shares_the_lock_of_the_plain_one(client, patient):
    # Before: the lock was checked on "ｃamille…" as typed and the failures counted on
    # "camille…", so 40 wrong guesses and then the right password signed in.
    fullwidth = "\uff43amille@example.com"
    assert fail(client, fullwidth, times=5)[-1] == 429
    assert password_step(client, fullwidth).status_code == 429
    assert password_step(client, "camille@example.com").status_code == 429
    assert signed_in_as(client) is None
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"camille@example.com"}


def test_a_dotless_i_spelling_signs_in_to_nobody(client, patient):
    # PostgreSQL's case-insensitive match took "ı" for "i": that spelling signed in with a count
    # of its own. Now it finds no account (on both databases).
    dotless = "camılle@example.com"
    assert password_step(client, dotless).status_code == 200
    assert signed_in_as(client) is None
    assert User.objects.filter(pk=patient.pk).exists()
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key(dotless)
    assert User.objects.get_by_natural_key(" \uff23AMILLE@example.com ") == patient


def test_many_addresses_meet_a_ceiling_per_account(settings, patient):
    # Before: 5 tries per address, so 100 addresses gave 500 tries at one account.
    limit = settings.AXES_ACCOUNT_FAILURE_LIMIT
    statuses = []
    for n in range(limit // 4):
        statuses += fail(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), times=4)
    assert statuses == [200] * (limit - 1) + [429]  # no address reached its own 5
    newcomer = password_step(Client(REMOTE_ADDR="198.51.100.9"), "camille@example.com")
    assert newcomer.status_code == 429
    assert int(newcomer["Retry-After"]) <= settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_ceiling_does_not_lock_the_owner_out_at_an_address_they_used(settings, patient):
    home = Client(REMOTE_ADDR="198.51.100.20")
    assert password_step(home, "camille@example.com").status_code == 302
    home.logout()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(settings.AXES_ACCOUNT_FAILURE_LIMIT // 4):
            fail(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), times=4)
        assert password_step(home, "camille@example.com").status_code == 302
        stranger_place = Client(REMOTE_ADDR="192.0.2.50")
        assert password_step(stranger_place, "camille@example.com").status_code == 429
    # Elsewhere, the owner waits only the cool-off after the stranger's last try.
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(minutes=1), tick=False):
        assert password_step(stranger_place, "camille@example.com").status_code == 302


def test_the_ceiling_counts_per_account_only(settings, patient, other_patient):
    for n in range(settings.AXES_ACCOUNT_FAILURE_LIMIT // 4):
        fail(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), times=4)
    assert password_step(Client(REMOTE_ADDR="192.0.2.51"), "other@example.com").status_code == 302
