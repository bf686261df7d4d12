"""Web Push subscriptions: one row per device a patient turned push on for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_DEVICES = 10


class PushSubscription(models.Model):
    """What the browser's `PushManager.subscribe()` gave us for one device.

    The endpoint is the push service's address for this device; `p256dh` and `auth` encrypt
    the messages (RFC 8291). A push service answering 404 or 410 deletes the row.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1024, unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    label = models.CharField(_("device"), max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"push subscription {self.pk} of {self.patient_id}"
