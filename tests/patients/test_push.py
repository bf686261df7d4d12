"""Push reminders (issue 19): the payload a phone decrypts, the push service's answers, the
devices on the settings page, VAPID, the installable app's files and the offline papers' list.

The push service is a real HTTP server on 127.0.0.1 (tests/support/push_service.py); the phone
is a real P-256 key pair whose private key decrypts the messages with http_ece.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from patients import timeutils
from patients.models import (
    MAX_DEVICES,
    Channel,
    Kind,
    PushSubscription,
    Reminder,
    ReminderSettings,
    State,
)
from patients.reminders.channels import push
from patients.reminders.channels.push import new_vapid_keys
from patients.reminders.delivery import deliver_reminders, dispatch_reminders
from patients.reminders.links import reminder_from_link
from patients.reminders.outbox import MAX_ATTEMPTS
from patients.reminders.scan import queue_due_reminders
from patients.travel.letters import approve_letter, revoke_letter
from patients.travel.trips import plan_trip
from tests.factories import TreatmentFactory, UserFactory
from tests.support.push_service import Phone, PushService, unb64url

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "mailto:ops@interleukin-care.fr"


@pytest.fixture
def vapid(settings):
    public, private = new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = SUBJECT
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    return public


def push_patient(*, discreet: bool = True, email: str = "camille@example.com"):
    """A patient reminded by push only, at 00:00 on the day of her dose (today): due now."""
    patient = UserFactory(email=email, display_name="Camille")
    ReminderSettings.objects.create(
        patient=patient,
        lead_days=[0],
        hour=0,
        by_email=False,
        in_app=False,
        by_push=True,
        calendar_discreet=discreet,
    )
    today = timeutils.local_today(patient.zone)
    treatment = TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=today)
    return patient, treatment


def device(patient, service: PushService, phone: Phone, name: str = "phone") -> PushSubscription:
    sub = phone.subscription(service.endpoint(name))
    return PushSubscription.objects.create(
        patient=patient, endpoint=sub["endpoint"], label=f"Chrome · {name}", **sub["keys"]
    )


def send_due(now=None) -> list[str]:
    now = now or timezone.now()
    queue_due_reminders(now=now)
    dispatch_reminders(now=now)
    ids = list(
        Reminder.objects.filter(channel=Channel.PUSH, state=State.SENDING).values_list(
            "pk", flat=True
        )
    )
    return deliver_reminders(reminder_ids=ids, now=now)


def test_a_dose_reminder_reaches_the_phone_encrypted_discreet_and_opens_the_logging_form(
    catalogue, vapid, client
):
    patient, treatment = push_patient()
    phone = Phone()
    with PushService([201]) as service:
        device(patient, service, phone)
        assert send_due() == [State.SENT]
    (message,) = service.received
    shown = phone.read(message)  # decrypted with the subscription's private key
    note = shown["notification"]
    assert shown["web_push"] == 8030  # Declarative Web Push: Safari keeps the subscription
    assert note["title"] == "Votre injection est prévue aujourd’hui"
    assert note["body"] == "Touchez pour ouvrir Interleukin Care."
    for name in ("Tremfya", "guselkumab"):  # discreet by default: no medicine on a lock screen
        assert name.lower() not in json.dumps(shown).lower()
    # RFC 8030: high urgency for a dose, a TTL, and one Topic per dose.
    assert message.headers["Urgency"] == "high"
    assert int(message.headers["TTL"]) == 12 * 3600
    assert message.headers["Topic"] == f"dose-{treatment.pk}-1"
    reminder = Reminder.objects.get(channel=Channel.PUSH)
    assert reminder.state == State.SENT and reminder.sent_at is not None
    assert PushSubscription.objects.get().last_success_at is not None
    # Tapping opens the signed link, which opens the logging form of that dose.
    token = note["navigate"].rstrip("/").rsplit("/", 1)[1]
    assert reminder_from_link(token) == reminder.pk
    client.force_login(patient)
    opened = client.get(note["navigate"].removeprefix("http://localhost:8000"))
    assert opened.status_code == 302
    assert opened["Location"] == f"/treatments/{treatment.pk}/injections/new/?dose=1"


def test_the_medicine_is_named_only_when_the_patient_turned_discreet_titles_off(
    catalogue, vapid, settings
):
    patient, _treatment = push_patient(discreet=False)
    patient.language = "en"
    patient.save(update_fields=["language"])
    phone = Phone()
    with PushService([201]) as service:
        device(patient, service, phone)
        send_due()
    note = phone.read(service.received[0])["notification"]
    assert note["title"] == "Your injection is planned for today"
    assert "Tremfya" in note["body"] and note["lang"] == "en"


def test_the_vapid_token_names_the_push_service_and_a_mailto_subject_and_verifies(catalogue, vapid):
    patient, _treatment = push_patient()
    with PushService([201]) as service:
        device(patient, service, Phone())
        send_due()
    scheme, params = service.received[0].headers["Authorization"].split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and fields["k"] == vapid
    header, claims, signature = fields["t"].split(".")
    body = json.loads(unb64url(claims))
    assert body["aud"] == f"http://127.0.0.1:{service.server.server_port}"
    assert body["sub"] == SUBJECT
    assert 0 < body["exp"] - datetime.now(UTC).timestamp() <= 24 * 3600
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(vapid))
    public.verify(  # raises if the signature is not the server's
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_upcoming_and_overdue_messages_of_one_dose_share_a_topic_and_replace_each_other(
    catalogue, vapid
):
    patient, treatment = push_patient()
    prefs = patient.reminder_settings
    prefs.lead_days = [1, 0]
    prefs.save()
    with PushService([201]) as service:
        device(patient, service, Phone())
        now = timezone.now()
        for kind, occurrence in ((Kind.UPCOMING_DOSE, "dose-1:x"), (Kind.OVERDUE_DOSE, "dose-1:y")):
            Reminder.objects.create(
                patient=patient,
                treatment=treatment,
                dose_number=1,
                about_date=treatment.next_dose_on,
                kind=kind,
                occurrence=occurrence,
                channel=Channel.PUSH,
                state=State.SENDING,
                due_at=now,
            )
        ids = list(Reminder.objects.filter(channel=Channel.PUSH).values_list("pk", flat=True))
        deliver_reminders(reminder_ids=ids, now=now)
    topics = {m.headers["Topic"] for m in service.received}
    assert len(service.received) == 2 and topics == {f"dose-{treatment.pk}-1"}


@pytest.mark.parametrize("gone", [404, 410])
def test_a_push_service_saying_gone_deletes_the_device_and_the_settings_page_says_so(
    catalogue, vapid, client, gone
):
    patient, _treatment = push_patient()
    with PushService([gone]) as service:
        device(patient, service, Phone(), name="old")
        assert send_due() == [State.FAILED]
    assert not PushSubscription.objects.exists()
    assert Reminder.objects.get(channel=Channel.PUSH).last_error == f"Push {gone}"
    client.force_login(patient)
    page = client.get(reverse("patients:reminder_settings")).content.decode()
    assert "L’appareil « Chrome · old » a été retiré" in page
    again = client.get(reverse("patients:reminder_settings")).content.decode()
    assert "a été retiré" not in again  # said once


def test_one_device_gone_and_another_reached_is_sent_and_only_the_gone_one_removed(
    catalogue, vapid
):
    patient, _treatment = push_patient()
    with PushService([410, 201]) as service:
        device(patient, service, Phone(), name="old")
        device(patient, service, Phone(), name="new")
        assert send_due() == [State.SENT]
    assert list(PushSubscription.objects.values_list("label", flat=True)) == ["Chrome · new"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_push_services_are_retried_with_backoff_then_failed_and_shown(
    catalogue, vapid, client, status
):
    patient, _treatment = push_patient()
    with PushService([status]) as service:
        device(patient, service, Phone())
        at = timezone.now()
        queue_due_reminders(now=at)
        reminder = Reminder.objects.get(channel=Channel.PUSH)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert dispatch_reminders(now=at) == 1
            deliver_reminders(reminder_ids=[reminder.pk], now=at)
            reminder.refresh_from_db()
            if attempt < MAX_ATTEMPTS:
                assert reminder.state == State.PENDING and reminder.due_at > at  # backoff
                assert dispatch_reminders(now=at) == 0  # not before its time
                at = reminder.due_at
    assert (reminder.state, reminder.attempts, reminder.last_error) == (
        State.FAILED,
        MAX_ATTEMPTS,
        f"Push {status}",
    )
    assert len(service.received) == MAX_ATTEMPTS
    assert PushSubscription.objects.get().failures == MAX_ATTEMPTS  # kept: it may come back
    client.force_login(patient)
    page = client.get(reverse("patients:notifications")).content.decode()
    assert "Nous n’avons pas pu envoyer cette notification à vos appareils" in page


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_push_service_is_a_network_error_retried_with_backoff(catalogue, vapid):
    patient, _treatment = push_patient()
    PushSubscription.objects.create(
        patient=patient,
        endpoint=f"http://127.0.0.1:{free_port()}/push/phone",
        label="Chrome · phone",
        **Phone().subscription("x")["keys"],
    )
    at = timezone.now()
    assert send_due(at) == [State.PENDING]
    reminder = Reminder.objects.get(channel=Channel.PUSH)
    assert reminder.due_at > at  # the outbox's backoff, not a retry loop in the worker
    assert reminder.last_error == "Push NewConnectionError"
    assert PushSubscription.objects.get().failures == 1  # kept: the network may come back


def test_a_push_service_that_does_not_answer_in_time_is_retried(
    catalogue, vapid, tmp_path, monkeypatch
):
    monkeypatch.setattr(push, "TIMEOUT", 0.5)  # read when the worker's pool is made
    patient, _treatment = push_patient()
    stall = tmp_path / "stall"
    stall.touch()
    try:
        with PushService([201], stall_file=str(stall)) as service:
            device(patient, service, Phone())
            assert send_due() == [State.PENDING]
    finally:
        stall.unlink()
    reminder = Reminder.objects.get(channel=Channel.PUSH)
    assert reminder.last_error == "Push ReadTimeoutError"
    assert not service.received[0].answered


def test_a_push_service_redirecting_is_not_followed_and_the_push_fails(catalogue, vapid):
    """A 307 is not a push service's answer: the message is not posted again elsewhere."""
    posts = []

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posts.append(self.path)
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        patient, _treatment = push_patient()
        PushSubscription.objects.create(
            patient=patient,
            endpoint=f"http://127.0.0.1:{server.server_port}/push/phone",
            label="Chrome · phone",
            **Phone().subscription("x")["keys"],
        )
        assert send_due() == [State.FAILED]
    finally:
        server.shutdown()
        server.server_close()
    assert posts == ["/push/phone"]
    assert Reminder.objects.get(channel=Channel.PUSH).last_error == "Push 307"


def test_pushes_go_through_the_https_proxy_of_the_environment_except_where_exempt(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "push.intranet.example")
    pools = push.Pools()
    assert pools.for_url("https://fcm.googleapis.com/fcm/send/abc") is pools.proxied
    assert pools.proxied.proxy.host == "proxy.internal"
    assert pools.for_url("https://push.intranet.example/abc") is pools.direct
    assert pools.for_url("http://127.0.0.1:8123/push/x") is pools.direct  # the tests' service
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert push.Pools().proxied is None


def test_a_patient_without_any_device_gets_a_failed_push_and_her_emails_as_before(
    catalogue, vapid, mailoutbox
):
    patient, _treatment = push_patient()
    ReminderSettings.objects.filter(patient=patient).update(by_email=True)
    now = timezone.now()
    queue_due_reminders(now=now)
    dispatch_reminders(now=now)
    ids = list(Reminder.objects.values_list("pk", flat=True))
    deliver_reminders(reminder_ids=ids, now=now)
    assert dict(Reminder.objects.values_list("channel", "state")) == {
        Channel.EMAIL: State.SENT,
        Channel.PUSH: State.FAILED,
    }
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2027, 3, 28), 7),  # Paris springs forward: 09:00 is UTC+2
        (date(2027, 10, 31), 8),  # and falls back: 09:00 is UTC+1
    ],
)
def test_on_the_dst_weekends_the_push_goes_at_the_patients_hour_once(
    catalogue, vapid, day, utc_hour, time_machine
):
    time_machine.move_to(
        datetime(2027, 3, 1, 12, tzinfo=UTC)
        if day.month == 3
        else datetime(2027, 10, 1, 12, tzinfo=UTC),
        tick=False,
    )
    patient = UserFactory(email="dst@example.com")
    ReminderSettings.objects.create(
        patient=patient, lead_days=[0], hour=9, by_email=False, in_app=False, by_push=True
    )
    TreatmentFactory(patient=patient, drug_inn="guselkumab", first_dose_on=day)
    due = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    with PushService([201]) as service:
        device(patient, service, Phone())
        assert send_due(due - timedelta(minutes=1)) == []
        time_machine.move_to(due, tick=False)
        assert send_due(due) == [State.SENT]
        assert send_due(due + timedelta(minutes=1)) == []
        assert send_due(due + timedelta(hours=2)) == []
    assert len(service.received) == 1
    assert Reminder.objects.get(channel=Channel.PUSH).due_at == due


# --- Devices on the settings page ----------------------------------------------------------------


def subscribe(client, body: dict | str, **extra):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(reverse("patients:push_subscribe"), {"subscription": payload}, **extra)


def test_a_device_is_added_after_the_button_with_a_readable_label(
    catalogue, vapid, patient_client, patient
):
    phone = Phone()
    response = subscribe(
        patient_client,
        phone.subscription("https://fcm.googleapis.com/fcm/send/abc"),
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36",
    )
    assert response.status_code == 201
    stored = PushSubscription.objects.get(patient=patient)
    assert stored.label == "Chrome · Android" and stored.p256dh == phone.p256dh
    page = patient_client.get(reverse("patients:reminder_settings")).content.decode()
    assert "Chrome · Android" in page and "Écran d’accueil" in page
    assert "Envoyez-moi une notification de test" in page
    assert f'data-key="{vapid}"' in page
    # The permission prompt follows a button press: nothing on the page asks on load.
    script = (ROOT / "static/js/push.js").read_text()
    assert script.index('addEventListener("click"') < script.index("requestPermission")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "La souscription n’est pas un JSON valide."),
        ("[]", "La souscription doit être un objet JSON."),
        ({"endpoint": "https://push.example.com/x"}, "La souscription doit avoir une adresse"),
        (
            {"endpoint": "https://push.example.com/x", "keys": {"auth": "A" * 22}},
            "La clé p256dh est absente ou mal formée.",
        ),
        (
            {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "B" * 87, "auth": "x"}},
            "La clé auth est absente ou mal formée.",
        ),
        ("ENDPOINT:http://push.example.com/x", "L’adresse doit commencer par https://."),
        ("ENDPOINT:https://push.example.com/" + "x" * 1100, "L’adresse est trop longue."),
        ("x" * 5000, "au plus 4096 caractères"),  # the whole body bounded
    ],
)
def test_a_malformed_subscription_answers_400_with_a_clear_message_and_stores_nothing(
    catalogue, settings, patient_client, body, message
):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = False  # as in production
    if isinstance(body, str) and body.startswith("ENDPOINT:"):
        body = Phone().subscription(body.removeprefix("ENDPOINT:"))
    response = subscribe(patient_client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_plain_http_endpoints_are_refused_even_on_localhost_unless_the_test_setting_allows(
    catalogue, settings, patient_client
):
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = False
    local = Phone().subscription("http://127.0.0.1:9/push/x")
    assert subscribe(patient_client, local).status_code == 400
    settings.PUSH_ALLOW_HTTP_ENDPOINTS = True
    assert subscribe(patient_client, local).status_code == 201
    elsewhere = Phone().subscription("http://push.example.com/x")
    assert subscribe(patient_client, elsewhere).status_code == 400


def test_at_most_ten_devices_per_person(catalogue, patient_client, patient):
    for n in range(MAX_DEVICES):
        sub = Phone().subscription(f"https://push.example.com/{n}")
        assert subscribe(patient_client, sub).status_code == 201
    eleventh = subscribe(patient_client, Phone().subscription("https://push.example.com/11"))
    assert eleventh.status_code == 400 and "10" in eleventh.json()["error"]
    assert PushSubscription.objects.filter(patient=patient).count() == MAX_DEVICES
    # The same device again only refreshes its keys.
    again = subscribe(patient_client, Phone().subscription("https://push.example.com/3"))
    assert again.status_code == 201
    assert PushSubscription.objects.filter(patient=patient).count() == MAX_DEVICES


def test_a_device_is_removed_by_its_owner_and_by_no_one_else(
    catalogue, patient_client, patient, other_patient
):
    mine = PushSubscription.objects.create(
        patient=patient, endpoint="https://p.example/1", p256dh="x", auth="y", label="Mine"
    )
    theirs = PushSubscription.objects.create(
        patient=other_patient, endpoint="https://p.example/2", p256dh="x", auth="y", label="No"
    )
    gone = patient_client.post(reverse("patients:push_remove", args=[mine.pk]))
    assert gone.status_code == 302
    assert patient_client.post(reverse("patients:push_remove", args=[theirs.pk])).status_code == 404
    assert list(PushSubscription.objects.values_list("label", flat=True)) == ["No"]


def test_the_test_notification_button_reaches_every_device(
    catalogue, vapid, patient_client, patient
):
    phones = [Phone(), Phone()]
    with PushService([201]) as service:
        for n, phone in enumerate(phones):
            device(patient, service, phone, name=str(n))
        response = patient_client.post(reverse("patients:push_test"), follow=True)
    assert "Notification de test envoyée" in response.content.decode()
    shown = [
        phone.read(m)["notification"] for phone, m in zip(phones, service.received, strict=True)
    ]
    assert [n["title"] for n in shown] == ["Notification de test"] * 2


def test_choosing_push_plans_push_rows_beside_the_emails(catalogue, patient_client, patient):
    response = patient_client.post(
        reverse("patients:reminder_settings"),
        {"lead_days": [2, 0], "hour": 9, "by_email": "on", "by_push": "on"},
    )
    assert response.status_code == 302
    prefs = ReminderSettings.objects.get(patient=patient)
    assert prefs.by_email and prefs.by_push and not prefs.in_app


# --- VAPID configuration -------------------------------------------------------------------------


def settings_in_production(**env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "care.example.fr",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    for name in ("VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_vapid_keys_or_with_a_fake_subject():
    public, private = new_vapid_keys()
    missing = settings_in_production()
    assert "ImproperlyConfigured: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY" in missing.stderr
    keys = {"VAPID_PUBLIC_KEY": public, "VAPID_PRIVATE_KEY": private}
    for subject in ("mailto:admin@localhost", "https://care.example.fr", "mailto:a@b.invalid"):
        fake = settings_in_production(**keys, VAPID_SUBJECT=subject)
        assert "ImproperlyConfigured: VAPID_SUBJECT must be mailto:" in fake.stderr, subject
    good = settings_in_production(**keys, VAPID_SUBJECT="mailto:ops@interleukin-care.fr")
    assert "VAPID" not in good.stderr


def test_vapid_keys_for_development_are_made_once_under_var(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path)}
    command = [sys.executable, "manage.py", "vapid_keys"]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    first = (tmp_path / "vapid.env").read_text()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    assert (tmp_path / "vapid.env").read_text() == first
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert len(unb64url(values["VAPID_PUBLIC_KEY"])) == 65
    assert len(unb64url(values["VAPID_PRIVATE_KEY"])) == 32
    assert "vapid_keys" in (ROOT / "scripts/run").read_text()


# --- The installable app -------------------------------------------------------------------------


def test_the_manifest_makes_the_app_installable(client, db):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["lang"] == "fr"
    assert manifest.get("prefer_related_applications") is not True
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        path = ROOT / "static" / icon["src"].removeprefix("/static/")
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"] and image.format == "PNG"
            if icon["purpose"] == "maskable":  # full bleed: no transparent corner
                assert image.convert("RGBA").getpixel((0, 0))[3] == 255


def test_the_service_worker_is_served_at_the_root_and_the_csp_allows_it(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = client.get("/privacy/")
    csp = page["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.content.decode()


def test_the_service_worker_never_caches_pages_by_default(client, db):
    script = client.get("/sw.js").content.decode()
    # Only the shell (offline page, stylesheet, icons) is cached at install; every other
    # response comes from the network, and a cache answers only when the network fails.
    assert "cache.put(url, response)" in script  # the opted-in trip papers, and nothing else
    assert script.count("cache.put(") == 1 and script.count("cache.addAll(") == 1
    assert "fetch(request).catch(" in script
    offline = client.get("/offline/")
    assert offline.status_code == 200 and "Pas de connexion" in offline.content.decode()


# --- Travel papers offline -----------------------------------------------------------------------

TRIP = {
    "destination": "JP",
    "destination_time_zone": "Asia/Tokyo",
    "traveller_name": "Camille",
}


def test_the_offline_list_holds_the_opted_in_trips_pages_and_approved_letters_only(
    catalogue, patient_client, patient, clinician, care_link
):
    now = timezone.now()
    today = timeutils.local_today(patient.zone)
    trip = plan_trip(
        patient=patient,
        now=now,
        departs_on=today + timedelta(days=3),
        returns_on=today + timedelta(days=10),
        **TRIP,
    )
    other = plan_trip(
        patient=patient,
        now=now,
        departs_on=today + timedelta(days=30),
        returns_on=today + timedelta(days=40),
        **TRIP,
    )
    letter = approve_letter(trip=trip, kind="certificate", clinician=clinician, now=now)
    approve_letter(trip=other, kind="certificate", clinician=clinician, now=now)
    listed = reverse("offline_allowed")
    assert patient_client.get(listed).json() == {"trips": {}}  # opt-in

    assert (
        patient_client.post(
            reverse("patients:trip_offline", args=[trip.pk]), {"keep": "1"}
        ).status_code
        == 302
    )
    trip_url = f"/trips/{trip.pk}/"
    pdf_url = f"/trips/{trip.pk}/letters/certificate/pdf/"
    assert patient_client.get(listed).json() == {"trips": {str(trip.pk): [trip_url, pdf_url]}}
    page = patient_client.get(trip_url).content.decode()
    assert f'href="{pdf_url}"' in page and "Arrêter de les garder sur mes appareils" in page

    revoke_letter(letter=letter, by=patient, now=now)  # a revoked letter leaves the list
    assert patient_client.get(listed).json() == {"trips": {str(trip.pk): [trip_url]}}

    trip.returns_on = today - timedelta(days=1)  # the trip is over: nothing kept
    trip.departs_on = today - timedelta(days=5)
    trip.save()
    assert patient_client.get(listed).json() == {"trips": {}}

    patient_client.post(reverse("logout"))  # signed out: the list is empty, the cache cleared
    assert patient_client.get(listed).json() == {"trips": {}}


def test_log_out_tells_the_browser_to_clear_its_caches(patient_client):
    response = patient_client.post(reverse("logout"))
    assert response["Clear-Site-Data"] == '"cache"'
