"""Travel papers offline: which URLs the service worker may keep, per trip the patient opted in.

The service worker fetches this list on every page load and makes its per-trip caches match it:
a trip that ended, a letter revoked or a log-out (an empty list) deletes what it kept.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch
from django.urls import reverse

from patients.models import Letter, Trip, User


def offline_urls(patient: User | None, *, today: date) -> dict[str, list[str]]:
    """{trip id: [its page, its approved letters' PDFs]} for the trips not yet over."""
    if patient is None:
        return {}
    trips = Trip.objects.filter(patient=patient, offline=True, returns_on__gte=today)
    trips = trips.prefetch_related(
        Prefetch("letters", Letter.objects.filter(revoked_at__isnull=True), to_attr="live")
    ).order_by("departs_on", "pk")
    return {
        str(trip.pk): [
            reverse("patients:trip", args=[trip.pk]),
            *(
                reverse("patients:letter_pdf", args=[trip.pk, letter.kind])
                for letter in sorted(trip.live, key=lambda letter: letter.kind)
            ),
        ]
        for trip in trips
    }


def keep_offline(*, trip: Trip, keep: bool) -> Trip:
    trip.offline = keep
    trip.save(update_fields=["offline"])
    return trip
