"""Trips: the patient's writes, the letters each trip lists, and the trip reminders (a week
before departure, time to renew a prescription, then the day before)."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch

from patients.models import Kind, Letter, LetterKind, Trip, User
from patients.reminders.outbox import channels_of, create_rows, outbox_row, settings_of
from patients.reminders.registry import register_kind, register_patient_planner
from patients.timeutils import local_moment

TRIP_LEADS = (7, 1)
# The fields the letters print: changing one of them revokes the approved letters.
LETTER_FIELDS = (
    "destination",
    "means",  # the certificate asks for the cabin only for a flight
    "departs_on",
    "returns_on",
    "traveller_name",
    "date_of_birth",
    "passport_number",
    "diagnosis",
    "spare_doses",
    "list_packs",  # the packs carried, their batch and expiry (issue 22)
)


def letter_rows(trip: Trip) -> list[tuple[str, str, Letter | None]]:
    """Each kind of letter with its approved version, if any (from `trips_with_letters`'s
    prefetch when there is one)."""
    live = getattr(trip, "live_letters", None)
    if live is None:
        live = trip.letters.filter(revoked_at__isnull=True)
    by_kind = {letter.kind: letter for letter in live}
    return [(kind, label, by_kind.get(kind)) for kind, label in LetterKind.choices]


def trips_with_letters(patient: User, *, today: date) -> list[tuple[Trip, list]]:
    """The patient's trips not yet over, each with its letter rows, in two queries."""
    trips = Trip.objects.filter(patient=patient, returns_on__gte=today).prefetch_related(
        Prefetch("letters", Letter.objects.filter(revoked_at__isnull=True), to_attr="live_letters")
    )
    return [(trip, letter_rows(trip)) for trip in trips]


# --- Writes --------------------------------------------------------------------------------------


def plan_trip(*, patient: User, now: datetime, **fields) -> Trip:
    trip = Trip.objects.create(patient=patient, **fields)
    plan_trip_reminder(trip=trip, now=now)
    return trip


def update_trip(*, trip: Trip, changed: list[str], by: User, now: datetime) -> Trip:
    """Save the trip's new values; an approved letter no longer matching them is revoked.
    Nothing changed, nothing is written."""
    if not changed:
        return trip
    with transaction.atomic():
        trip.save()
        if set(changed) & set(LETTER_FIELDS):
            revoke_letters(trip=trip, by=by, now=now)
        plan_trip_reminder(trip=trip, now=now)
    return trip


def revoke_letters(*, trip: Trip, by: User, now: datetime, kind: str | None = None) -> int:
    letters = Letter.objects.filter(trip=trip, revoked_at__isnull=True)
    if kind is not None:
        letters = letters.filter(kind=kind)
    return letters.update(revoked_at=now, revoked_by=by)


# --- Reminders: 7 days and 1 day before departure, at the patient's reminder hour -------------


def plan_trip_reminder(*, trip: Trip, now: datetime) -> None:
    prefs = settings_of(trip.patient)
    due = None
    if channels_of(prefs):
        for lead in TRIP_LEADS:
            moment = local_moment(
                trip.departs_on - timedelta(days=lead), prefs.hour, trip.patient.zone
            )
            if moment > now:
                due = moment
                break
    Trip.objects.filter(pk=trip.pk).update(next_reminder_at=due)
    trip.next_reminder_at = due


def queue_trip_reminders(*, now: datetime) -> int:
    """Write the trip reminders that have fallen due (a handful a day: plain ORM)."""
    due = Trip.objects.filter(next_reminder_at__lte=now).select_related(
        "patient__reminder_settings"
    )
    count = 0
    for trip in due:
        with transaction.atomic():
            claimed = Trip.objects.filter(
                pk=trip.pk, next_reminder_at=trip.next_reminder_at
            ).update(next_reminder_at=None)
            if not claimed:
                continue  # another beat moved it meanwhile
            lead = (
                trip.departs_on - trip.next_reminder_at.astimezone(trip.patient.zone).date()
            ).days
            channels = channels_of(settings_of(trip.patient))
            create_rows(
                [
                    outbox_row(
                        patient_id=trip.patient_id,
                        kind=Kind.TRIP_SOON,
                        # The departure date is part of it: a trip moved later is reminded again.
                        occurrence=f"{trip.departs_on.isoformat()}:lead-{lead}",
                        channel=channel,
                        now=now,
                        trip=trip,
                        about_date=trip.departs_on,
                    )
                    for channel in channels
                ]
            )
            count += 1
            plan_trip_reminder(trip=trip, now=now)
    return count


@register_patient_planner
def plan_trip_reminders(*, patient: User, now: datetime) -> None:
    for trip in patient.trips.filter(departs_on__gte=now.astimezone(patient.zone).date()):
        plan_trip_reminder(trip=trip, now=now)


def _trip_still_ahead(reminder, today: date) -> bool:
    # A trip moved to other dates has its own reminders; one sent after departure is too late.
    return reminder.trip.departs_on == reminder.about_date and reminder.about_date >= today


def _trip_context(reminder) -> dict:
    return {"trip": reminder.trip}


register_kind(
    Kind.TRIP_SOON,
    template="trip_soon",
    still_stands=_trip_still_ahead,
    context=_trip_context,
    related=("trip",),
)
