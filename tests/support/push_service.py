"""The local push service and the phone's keys live in bench/push_service.py (the bench sends
through the same service); the tests import them from here."""

from bench.push_service import (
    CountingPushService,
    Phone,
    PushService,
    Received,
    b64url,
    unb64url,
)

__all__ = ["CountingPushService", "Phone", "PushService", "Received", "b64url", "unb64url"]
