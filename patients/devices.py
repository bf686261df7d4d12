"""The patient's devices for push reminders: add one, remove one, send a test notification."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from patients.models import MAX_DEVICES, PushSubscription, User
from patients.reminders.channels import push


class TooManyDevices(Exception):
    pass


def add_device(
    *, patient: User, endpoint: str, p256dh: str, auth: str, label: str
) -> PushSubscription:
    """Store a device's subscription (the same endpoint again updates its keys and label)."""
    with transaction.atomic():
        # One patient's devices, counted under a lock on the patient: no 11th by a race.
        User.objects.select_for_update().filter(pk=patient.pk).first()
        existing = PushSubscription.objects.filter(endpoint=endpoint).first()
        if existing is not None and existing.patient_id != patient.pk:
            existing.delete()  # the browser profile changed hands: the endpoint follows it
            existing = None
        if existing is None and patient.push_subscriptions.count() >= MAX_DEVICES:
            raise TooManyDevices
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"patient": patient, "p256dh": p256dh, "auth": auth, "label": label},
        )
        return subscription


def remove_device(*, subscription: PushSubscription) -> None:
    subscription.delete()


def send_test_notification(*, patient: User, now: datetime) -> int:
    """Send a test push to every device of the patient now; returns how many took it."""
    subscriptions = list(patient.push_subscriptions.all())
    message = push.notification(
        title=_("Test notification"),
        body=_("Reminders will look like this on this device."),
        url=settings.SITE_URL + reverse("patients:reminder_settings"),
        tag="test",
    )
    before = {s.pk for s in subscriptions}
    with push.PUSH.session() as session:
        try:
            push.deliver(subscriptions, message, session=session, ttl=600, Urgency="normal")
        except push.PushError:
            return 0
    return PushSubscription.objects.filter(pk__in=before, last_success_at__gte=now).count()
