"""Trips: the doses that fall during one, what to carry and check, and the trip reminders.

The quantities follow reference/travel.md: devices to carry = the devices of every dose due
between departure and return (inclusive) + the spare the patient chooses (one dose by default).
The allowance outside the fridge is compared with the trip only when the catalogue marks it as
verified; otherwise the plan says to read the package leaflet and computes nothing from it.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from patients.models import Kind, Letter, LetterKind, Means, Treatment, Trip, User
from patients.reminders import channels_of, create_rows, local_moment, outbox_row, settings_of
from patients.treatments import (
    devices_left_of,
    doses_until,
    live_injections_of,
    treatments_with_care_data,
)
from therapies import dosing
from therapies.models import StorageRule

# Trip reminders: a week before departure (time to renew a prescription), then the day before.
TRIP_LEADS = (7, 1)
MAX_TRIP_DAYS = 366
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
)


@functools.cache
def zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO country code -> its IANA time zones, from the tz database's zone.tab (tzdata)."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    zones: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            code, _coords, zone, *_comment = line.split("\t")
            zones.setdefault(code, []).append(zone)
    return {code: tuple(sorted(names)) for code, names in zones.items()}


def zones_of(country: str) -> tuple[str, ...]:
    return zones_by_country().get(str(country).upper(), ())


# --- The plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TripDose:
    dose: dosing.PlannedDose
    at_home: datetime  # the patient's usual hour on the planned day, in the home zone
    away: datetime  # the same moment in the destination's zone


@dataclass(frozen=True)
class MedicinePlan:
    treatment: Treatment
    doses: list[TripDose]
    devices_for_doses: int
    spare_devices: int
    devices_left: int | None  # None until the patient records a delivery
    devices_needed_by_return: int  # doses from now until the return, and the spare
    storage: StorageRule | None
    days_away: int

    @property
    def devices_to_carry(self) -> int:
        return self.devices_for_doses + self.spare_devices

    @property
    def stock_covers(self) -> bool | None:
        if self.devices_left is None:
            return None
        return self.devices_left >= self.devices_needed_by_return

    @property
    def days_allowed_out(self) -> float | None:
        """Only from a verified allowance: never a figure the label was not checked for."""
        rule = self.storage
        if rule is None or not rule.verified or rule.max_hours is None:
            return None
        return rule.max_hours / 24

    @property
    def outlasts_allowance(self) -> bool | None:
        """The trip is longer than the verified allowance (None: nothing verified to compare)."""
        allowed = self.days_allowed_out
        return None if allowed is None else self.days_away > allowed


@dataclass(frozen=True)
class TripPlan:
    trip: Trip
    days_away: int
    medicines: list[MedicinePlan]
    packing: list[str]

    @property
    def doses_during_trip(self) -> int:
        return sum(len(m.doses) for m in self.medicines)

    @property
    def renew_before_leaving(self) -> bool:
        return any(m.stock_covers is False for m in self.medicines)


def days_away(trip: Trip) -> int:
    """Calendar days away, counting the days of departure and return."""
    return (trip.returns_on - trip.departs_on).days + 1


def medicine_plan(
    treatment: Treatment, trip: Trip, *, hour: int, home: ZoneInfo, taken: dict[int, date]
) -> MedicinePlan:
    away = ZoneInfo(trip.destination_time_zone)
    planned = doses_until(treatment, until=trip.returns_on, taken=taken)
    untaken = [d for d in planned if d.number not in taken and d.date <= trip.returns_on]
    during = [d for d in untaken if d.date >= trip.departs_on]
    spec = treatment.regimen.spec()
    spare = trip.spare_doses * spec.devices
    return MedicinePlan(
        treatment=treatment,
        doses=[
            TripDose(
                dose=d,
                at_home=local_moment(d.date, hour, home).astimezone(home),
                away=local_moment(d.date, hour, home).astimezone(away),
            )
            for d in during
        ],
        devices_for_doses=sum(d.devices for d in during),
        spare_devices=spare,
        devices_left=devices_left_of(treatment, live_injections_of(treatment)),
        devices_needed_by_return=sum(d.devices for d in untaken) + spare,
        storage=getattr(treatment.drug, "storage", None),
        days_away=days_away(trip),
    )


def packing_list(trip: Trip, medicines: list[MedicinePlan]) -> list[str]:
    """What to prepare, from reference/travel.md and the storage rules of therapies.md."""
    items = [
        _("An insulated bag with cold packs for the devices."),
        _("The devices must not touch the cold pack: wrap them, they must not freeze."),
        _("The devices in their original box (it also protects them from light)."),
    ]
    if trip.means == Means.PLANE:
        items.append(
            _(
                "Keep the devices with you in the cabin, never in the hold: luggage gets lost and "
                "the hold can freeze or overheat. Show them separately at the security check."
            )
        )
    items += [
        _("A sharps container for the used devices."),
        _("Two copies of each letter: one in your bag with the devices, one kept apart."),
        _(
            "Vaccines for the destination: tell the doctor or travel clinic that you are on a "
            "biologic. Live vaccines are not given during the treatment: ask your specialist."
        ),
    ]
    if any(m.stock_covers is False for m in medicines):
        items.append(
            _("Renew your prescription before you leave: your stock does not cover the trip.")
        )
    else:
        items.append(_("Check your prescription covers the doses after your return."))
    return items


def trip_plan(trip: Trip) -> TripPlan:
    """The plan of a trip for the patient's active treatments, in a fixed number of queries."""
    patient = trip.patient
    treatments = treatments_with_care_data(patient, recent=False).select_related(
        "drug__storage", "regimen"
    )
    hour = settings_of(patient).hour
    medicines = []
    for treatment in treatments:
        taken = {i.dose_number: i.taken_on for i in live_injections_of(treatment)}
        medicines.append(medicine_plan(treatment, trip, hour=hour, home=patient.zone, taken=taken))
    return TripPlan(
        trip=trip,
        days_away=days_away(trip),
        medicines=medicines,
        packing=packing_list(trip, medicines),
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
    """Save the trip's new values; an approved letter no longer matching them is revoked."""
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
