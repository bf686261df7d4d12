"""A trip's plan: the doses that fall during it, what to carry and check.

The quantities follow reference/travel.md: devices to carry = the devices of every dose due
between departure and return (inclusive) + the spare the patient chooses (one dose by default).
The allowance outside the fridge is compared with the trip only when the catalogue marks it as
verified; otherwise the plan says to read the package leaflet and computes nothing from it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from patients.models import Means, Treatment, Trip
from patients.reminders.outbox import settings_of
from patients.timeutils import local_moment, local_today
from patients.treatments import packs as pack_maths
from patients.treatments.reads import (
    devices_left_of,
    doses_until,
    live_injections_of,
    packs_of,
    treatments_with_care_data,
)
from therapies import dosing
from therapies.models import StorageRule


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
    # The packs the devices to carry come from, in date until the return (issue 22): what the
    # letters list when the patient asks (Trip.list_packs).
    packs: list[pack_maths.PackCarried]

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
    treatment: Treatment,
    trip: Trip,
    *,
    hour: int,
    home: ZoneInfo,
    taken: dict[int, date],
    today: date,
) -> MedicinePlan:
    away = ZoneInfo(trip.destination_time_zone)
    planned = doses_until(treatment, until=trip.returns_on, taken=taken)
    untaken = [d for d in planned if d.number not in taken and d.date <= trip.returns_on]
    during = [d for d in untaken if d.date >= trip.departs_on]
    spec = treatment.dose_spec()
    spare = trip.spare_doses * spec.devices
    injections = live_injections_of(treatment)
    balances, _shortfall = pack_maths.pack_balances(packs_of(treatment), injections, today=today)
    last_taken = max(taken, default=0)
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
        devices_left=devices_left_of(treatment, injections, today=trip.departs_on),
        devices_needed_by_return=sum(d.devices for d in untaken) + spare,
        storage=getattr(treatment.drug, "storage", None),
        days_away=days_away(trip),
        packs=pack_maths.packs_to_carry(
            balances,
            doses_before=[d for d in untaken if d.number > last_taken and d.date < trip.departs_on],
            devices=sum(d.devices for d in during) + spare,
            until=trip.returns_on,
        ),
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
    treatments = treatments_with_care_data(patient, recent=False, packs=True).select_related(
        "drug__storage", "regimen"
    )
    hour = settings_of(patient).hour
    today = local_today(patient.zone)
    medicines = []
    for treatment in treatments:
        taken = {i.dose_number: i.taken_on for i in live_injections_of(treatment)}
        medicines.append(
            medicine_plan(treatment, trip, hour=hour, home=patient.zone, taken=taken, today=today)
        )
    return TripPlan(
        trip=trip,
        days_away=days_away(trip),
        medicines=medicines,
        packing=packing_list(trip, medicines),
    )
