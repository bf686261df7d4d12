"""Web Push reminders (RFC 8030/8291/8292) through pywebpush, to every device of the patient.

One outbox row per reminder for the push channel, whatever the number of devices: the row is
`sent` when at least one device's push service accepted it. A push service answering 404 or 410
says the subscription is gone: its row is deleted and the settings page tells the patient. 429
and 5xx (and network errors) are transient: when no device took the message, the row goes back
to the outbox with the engine's backoff, so no device that took it gets it twice.

The lock screen shows the kind's e-mail subject (never a drug name) and, only when the patient
turned discreet titles off, the medicine. The payload follows Declarative Web Push (Safari) and
is read by our service worker elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import urllib3
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from py_vapid import Vapid02
from pywebpush import WebPusher

from patients.models import Channel, Kind, PushSubscription, Reminder, ReminderSettings
from patients.reminders.channels.base import ReminderChannel

# Dose reminders: high urgency, and one Topic per dose so the day-before, day-of, "get ready"
# and overdue messages replace each other on the phone. A dose reminder older than half a day
# is stale; a "get ready" one after two hours (the usual injection time has passed).
DOSE_KINDS = (Kind.UPCOMING_DOSE, Kind.OVERDUE_DOSE, Kind.GET_READY)
DOSE_TTL = 12 * 3600
READY_TTL = 2 * 3600
OTHER_TTL = 3 * 24 * 3600
TIMEOUT = 10  # seconds per push service request
GONE = (404, 410)
VAPID_LIFETIME = 12 * 3600  # RFC 8292 allows up to 24 h
VAPID_RENEW_BEFORE = 3600  # a token is signed again when less than an hour of it is left


class PushError(Exception):
    """What a push send may raise; `transient` ones are retried from the outbox."""

    def __init__(self, code: str, *, transient: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.transient = transient


def configured() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def endpoint_allowed(endpoint: str) -> bool:
    """HTTPS only; plain http only to 127.0.0.1 and only when a setting allows it (tests)."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return True
    return (
        settings.PUSH_ALLOW_HTTP_ENDPOINTS
        and parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
    )


def topic_for(reminder: Reminder) -> str:
    """RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet."""
    if reminder.kind in DOSE_KINDS and reminder.treatment_id:
        return f"dose-{reminder.treatment_id}-{reminder.dose_number}"[:32]
    return f"{reminder.kind.replace('_', '-')}-{reminder.pk}"[:32]


def _discreet(reminder: Reminder) -> bool:
    try:
        return reminder.patient.reminder_settings.calendar_discreet
    except ReminderSettings.DoesNotExist:
        return ReminderSettings().calendar_discreet


def payload_for(reminder: Reminder, *, template: str, context: dict) -> dict:
    """What the phone shows: a title without the medicine, and a tap that opens the form."""
    title = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    drug = context.get("drug")
    if drug is not None and not _discreet(reminder):
        body = _("%(medicine)s. Tap to open.") % {"medicine": drug}
    else:
        body = _("Tap to open Interleukin Care.")
    return notification(title=title, body=body, url=context["open_url"], tag=topic_for(reminder))


def notification(*, title: str, body: str, url: str, tag: str) -> dict:
    # Declarative Web Push (WebKit): Safari shows it without running a service worker.
    return {
        "web_push": 8030,
        "notification": {
            "title": title[:120],
            "body": body[:240],
            "navigate": url,
            "tag": tag,
            "lang": get_language() or settings.LANGUAGE_CODE,
            "silent": False,
        },
    }


@dataclass
class PushSession:
    """One connection pool (keep-alive to each push service) and the VAPID headers, signed once
    per push service and reused for most of their validity."""

    http: Pools
    vapid: Vapid02 | None
    signed: dict[str, tuple[float, dict]]
    # Devices a push service took a message for in this batch: their last success is written in
    # one statement when the batch ends (`flush`), not one commit per message.
    reached: dict[int, datetime] = field(default_factory=dict)

    def flush(self) -> None:
        if self.reached:
            PushSubscription.objects.filter(pk__in=list(self.reached)).update(
                last_success_at=max(self.reached.values()), failures=0
            )
            self.reached.clear()

    def vapid_headers(self, endpoint: str) -> dict:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self.signed.get(audience)
        if cached and cached[0] > now + VAPID_RENEW_BEFORE:
            return cached[1]
        expires = int(now) + VAPID_LIFETIME
        headers = self.vapid.sign({"aud": audience, "exp": expires, "sub": settings.VAPID_SUBJECT})
        self.signed[audience] = (expires, headers)
        return headers


class Pools:
    """urllib3 itself rather than a requests.Session: a reminder is one POST of a few hundred
    bytes, and requests' per-call work (environment proxies and settings merged again, hooks,
    cookies) cost more CPU than the encryption (BENCHMARKS.md, reminder send). No retries here:
    a failure goes back to the outbox, whose backoff is the retry. As with requests, the CA
    bundle is certifi's, and an HTTPS proxy in the environment (HTTPS_PROXY, NO_PROXY) carries
    the pushes to the hosts it does not exempt."""

    def __init__(self) -> None:
        options = {
            "retries": False,
            "timeout": urllib3.Timeout(total=TIMEOUT),
            "ca_certs": certifi.where(),
            "cert_reqs": "CERT_REQUIRED",
        }
        self.direct = urllib3.PoolManager(**options)
        proxy = getproxies().get("https")
        self.proxied = urllib3.ProxyManager(proxy, **options) if proxy else None

    def for_url(self, url: str) -> urllib3.PoolManager:
        parts = urlsplit(url)
        if self.proxied and parts.scheme == "https" and not proxy_bypass(parts.hostname or ""):
            return self.proxied
        return self.direct

    def clear(self) -> None:
        self.direct.clear()
        if self.proxied:
            self.proxied.clear()


def open_session() -> PushSession:
    vapid = Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode()) if configured() else None
    return PushSession(http=Pools(), vapid=vapid, signed={})


_local = threading.local()


def process_session() -> PushSession:
    """This process's (and thread's) session, made again after a fork or a change of keys: a
    Celery worker child keeps its connections and signed tokens from one batch to the next."""
    key = (os.getpid(), settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)
    current = getattr(_local, "session", None)
    if current is None or current[0] != key:
        if current is not None and current[0][0] == os.getpid():
            current[1].http.clear()
        _local.session = (key, open_session())
    return _local.session[1]


def send_to(
    subscription: PushSubscription, message: dict, *, session: PushSession, ttl: int, **headers
) -> int:
    """Encrypt and post one message to one device; returns the push service's status code.

    pywebpush encrypts (RFC 8291, aes128gcm: the keys and salt travel in the body's header);
    the POST carries TTL, the VAPID Authorization and the caller's Urgency and Topic."""
    if session.vapid is None:
        raise PushError("NotConfigured")
    if not endpoint_allowed(subscription.endpoint):
        return 400
    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    body = WebPusher(info).encode(
        json.dumps(message, ensure_ascii=False).encode(), content_encoding="aes128gcm"
    )["body"]
    response = session.http.for_url(subscription.endpoint).request(
        "POST",
        subscription.endpoint,
        body=body,
        headers={
            **session.vapid_headers(subscription.endpoint),
            **headers,
            "TTL": str(ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        },
        preload_content=True,  # read the (short) answer so the connection goes back to the pool
    )
    return response.status


def deliver(
    subscriptions: list[PushSubscription], message: dict, *, session: PushSession, **options
) -> None:
    """Send to every device; raise PushError unless at least one push service took it."""
    if not subscriptions:
        raise PushError("NoDevice")
    now = timezone.now()
    accepted, transient, codes = 0, False, []
    for subscription in subscriptions:
        try:
            status = send_to(subscription, message, session=session, **options)
        except urllib3.exceptions.HTTPError as error:  # refused, reset, timed out, TLS…
            status = type(error).__name__
        codes.append(str(status))
        if isinstance(status, int) and 200 <= status < 300:
            accepted += 1
            session.reached[subscription.pk] = now
        elif status in GONE:
            forget(subscription, now=now)
        else:
            transient = transient or not isinstance(status, int) or status == 429 or status >= 500
            PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
    if not accepted:
        raise PushError("Push " + " ".join(codes), transient=transient)


def forget(subscription: PushSubscription, *, now) -> None:
    """The push service says this device is gone: delete it and tell the patient once."""
    deleted, _rows = PushSubscription.objects.filter(pk=subscription.pk).delete()
    if not deleted:
        return
    prefs, _created = ReminderSettings.objects.get_or_create(patient_id=subscription.patient_id)
    prefs.push_removed = [
        *prefs.push_removed,
        {"label": subscription.label, "on": now.date().isoformat()},
    ][-10:]
    prefs.save(update_fields=["push_removed"])


def encode_key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_vapid_keys() -> tuple[str, str]:
    """(public, private): the uncompressed P-256 point and the raw scalar, URL-safe base64."""
    vapid = Vapid02()
    vapid.generate_keys()
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    public = vapid.public_key.public_bytes(
        encoding=serialization.Encoding.X962,
        format=serialization.PublicFormat.UncompressedPoint,
    )
    return encode_key(public), encode_key(private)


class PushChannel(ReminderChannel):
    code = Channel.PUSH
    setting = "by_push"
    errors = (PushError,)

    prefetch = ("patient__push_subscriptions",)

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        session = process_session()
        try:
            yield session
        except BaseException:
            # After an unexpected error, start afresh: a connection may be half-used.
            session.http.clear()
            _local.session = None
            raise
        finally:
            session.flush()

    def send(self, reminder: Reminder, *, template: str, context: dict, session) -> None:
        dose = reminder.kind in DOSE_KINDS
        deliver(
            list(reminder.patient.push_subscriptions.all()),  # prefetched for the batch
            payload_for(reminder, template=template, context=context),
            session=session,
            ttl=READY_TTL if reminder.kind == Kind.GET_READY else DOSE_TTL if dose else OTHER_TTL,
            Urgency="high" if dose else "normal",
            Topic=topic_for(reminder),
        )

    def is_transient(self, error: Exception) -> bool:
        return getattr(error, "transient", False)

    def describe(self, error: Exception) -> str:
        return str(getattr(error, "code", type(error).__name__))[:200]


PUSH = PushChannel()
