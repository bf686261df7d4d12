"""A browser's push subscription, as `PushSubscription.toJSON()` gives it, checked strictly."""

from __future__ import annotations

import base64
import binascii
import json

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages
from patients.models import PushSubscription
from patients.reminders.channels.push import endpoint_allowed

MAX_BODY = 4096  # a real subscription is about 500 bytes


def _b64url(value: str, *, size: int) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == size
    except (binascii.Error, ValueError):
        return False


class PushSubscriptionForm(RequiredMessages, forms.Form):
    subscription = forms.CharField(max_length=MAX_BODY)
    label = forms.CharField(label=_("Device name"), max_length=80, required=False)

    def clean_subscription(self) -> dict:
        try:
            data = json.loads(self.cleaned_data["subscription"])
        except ValueError:
            raise forms.ValidationError(_("The subscription is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The subscription must be a JSON object."))
        endpoint = data.get("endpoint")
        keys = data.get("keys")
        if not isinstance(endpoint, str) or not isinstance(keys, dict):
            raise forms.ValidationError(_("The subscription needs an endpoint and its keys."))
        max_endpoint = PushSubscription._meta.get_field("endpoint").max_length
        if len(endpoint) > max_endpoint:
            raise forms.ValidationError(_("The endpoint is too long."))
        if not endpoint_allowed(endpoint):
            raise forms.ValidationError(_("The endpoint must be an https:// address."))
        p256dh, auth = keys.get("p256dh"), keys.get("auth")
        if not isinstance(p256dh, str) or not _b64url(p256dh, size=65):
            raise forms.ValidationError(_("The p256dh key is missing or malformed."))
        if not isinstance(auth, str) or not _b64url(auth, size=16):
            raise forms.ValidationError(_("The auth key is missing or malformed."))
        return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}
