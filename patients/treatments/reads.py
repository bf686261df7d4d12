"""Reading where a patient stands against a treatment's plan: doses, history, sites, stock.

No writes here: `planning` (reminders) reads the plan from this module, and `writes` plans the
reminders again after each change."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.db.models import Prefetch
from django.db.models.query import ModelIterable
from django.utils.translation import ngettext

from patients.models import (
    DoseOverride,
    Injection,
    InjectionSite,
    StockDelivery,
    Treatment,
    User,
)
from patients.treatments import packs as pack_maths
from therapies import dosing

PLAN_HORIZON = timedelta(days=365)
RECENT_HISTORY = 10


class TakenDose(NamedTuple):
    """What the plan, the stock and the site hints read of a live injection: a tuple, not a
    model instance. A patient logs a dose a week for years; building an Injection for each
    was what made the dashboard slower with each year of history (BENCHMARKS.md)."""

    pk: int
    dose_number: int
    taken_on: date
    site: str
    devices_used: int
    pack_id: int | None


class _WithTakenDoses(ModelIterable):
    """Treatments, each with `live_injections` (every live injection as a TakenDose tuple) and
    `recent_injections` (the last RECENT_HISTORY as model instances, newest first), read for
    all the treatments at once in two queries (a Prefetch cannot read values)."""

    with_recent = True

    def __iter__(self):
        treatments = list(super().__iter__())
        by_id = {t.pk: t for t in treatments}
        for treatment in treatments:
            treatment.live_injections = []
        rows = (
            Injection.objects.live()
            .filter(treatment_id__in=by_id)
            .order_by()
            .values_list("treatment_id", *TakenDose._fields)
        )
        for treatment_id, *fields in rows if by_id else ():
            by_id[treatment_id].live_injections.append(TakenDose(*fields))
        if not self.with_recent:
            yield from treatments
            return
        # The latest days' injections (those tied with the last one kept included), then the
        # exact order by time of day.
        wanted: set[int] = set()
        for treatment in treatments:
            latest = sorted(treatment.live_injections, key=lambda d: d.taken_on, reverse=True)
            if latest:
                cutoff = latest[:RECENT_HISTORY][-1].taken_on
                wanted.update(d.pk for d in latest if d.taken_on >= cutoff)
        recent: dict[int, list[Injection]] = {pk: [] for pk in by_id}
        if wanted:
            for injection in Injection.objects.filter(pk__in=wanted).order_by("-taken_at", "-pk"):
                recent[injection.treatment_id].append(injection)
        for treatment in treatments:
            treatment.recent_injections = recent[treatment.pk][:RECENT_HISTORY]
        yield from treatments


class _WithTakenDosesOnly(_WithTakenDoses):
    with_recent = False


def treatments_with_care_data(patient: User, *, recent: bool = True, packs: bool | None = None):
    """Active treatments with everything the dashboard needs, in a fixed number of queries
    whatever the length of the history: each with its packs received, every live injection
    as a TakenDose, its last RECENT_HISTORY injections in full (what the cards list), and its
    dose-date overrides. `recent=False` leaves out the last injections in full and the packs
    (two queries less, for what shows no card: the calendar feed); `packs=True` keeps the packs."""
    queryset = (
        Treatment.objects.for_patient(patient)
        .active()
        .prefetch_related(
            Prefetch("overrides", queryset=DoseOverride.objects.all(), to_attr="all_overrides"),
        )
    )
    if recent if packs is None else packs:  # the cards and trips count stock; the feed does not
        queryset = queryset.prefetch_related(
            Prefetch("stock_deliveries", queryset=StockDelivery.objects.all(), to_attr="all_packs")
        )
    # Kept by filter(), get() and select_related().
    queryset._iterable_class = _WithTakenDoses if recent else _WithTakenDosesOnly
    return queryset


def overrides_of(treatment: Treatment) -> dict[int, date]:
    overrides = getattr(treatment, "all_overrides", None)
    if overrides is None:
        overrides = list(treatment.overrides.all())
    return {o.dose_number: o.date for o in overrides}


def packs_of(treatment: Treatment) -> list[StockDelivery]:
    packs = getattr(treatment, "all_packs", None)
    if packs is None:
        packs = list(treatment.stock_deliveries.all())
    return packs


def live_injections_of(treatment: Treatment) -> list[Injection]:
    injections = getattr(treatment, "live_injections", None)
    if injections is None:
        injections = list(treatment.injections.live())
    return injections


def planned_dose(treatment: Treatment, number: int) -> dosing.PlannedDose:
    doses = dosing.planned_doses(
        treatment.dose_spec(), treatment.first_dose_on, overrides=overrides_of(treatment)
    )
    for dose in doses:
        if dose.number == number:
            return dose
    raise AssertionError("unreachable: the plan is endless")


def doses_until(
    treatment: Treatment, *, until: date, taken: Collection[int]
) -> list[dosing.PlannedDose]:
    """The treatment's planned doses up to `until`, and at least one past the last logged."""
    return dosing.doses_through(
        treatment.dose_spec(),
        treatment.first_dose_on,
        until=until,
        at_least=max(taken, default=0) + 1,
        overrides=overrides_of(treatment),
    )


@dataclass(frozen=True)
class SiteUse:
    site: InjectionSite
    last_used: date | None


@dataclass(frozen=True)
class Overview:
    """A treatment seen on one day: status, plan ahead, history, adherence, stock."""

    treatment: Treatment
    today: date
    status: dosing.DoseStatus
    upcoming: list[dosing.PlannedDose]
    adherence: dosing.Adherence
    recent: list[Injection]
    logged_count: int
    devices_left: int | None  # None until the patient records a delivery
    low_stock: bool
    sites: list[SiteUse]
    suggested_site: InjectionSite
    packs: list[pack_maths.PackLeft]  # usable packs, the first to expire first
    expiry_warnings: list[pack_maths.ExpiryWarning]
    # The last dose logged was late and the next one comes soon after it (issue 18, D6).
    soon_after_late: dosing.SoonAfterLate | None = None

    @property
    def devices_for_next_dose(self) -> int:
        return self.status.next_dose.devices

    @property
    def plan(self) -> list[tuple[dosing.PlannedDose, str]]:
        """The upcoming doses, each with its amount in words. A weekly treatment shows 53 rows
        and nearly all share one amount: it is translated once per distinct amount, not once
        per row as a {% blocktranslate %} in the loop did (BENCHMARKS.md)."""
        amounts: dict[tuple[int, int], str] = {}
        rows = []
        for dose in self.upcoming:
            key = (dose.dose_mg, dose.devices)
            if key not in amounts:
                amounts[key] = ngettext(
                    "%(mg)s mg (%(devices)s device)",
                    "%(mg)s mg (%(devices)s devices)",
                    dose.devices,
                ) % {"mg": dose.dose_mg, "devices": dose.devices}
            rows.append((dose, amounts[key]))
        return rows


def site_uses(injections: Sequence[Injection]) -> list[SiteUse]:
    last: dict[str, date] = {}
    for injection in injections:
        if injection.site not in last or injection.taken_on > last[injection.site]:
            last[injection.site] = injection.taken_on
    return [
        SiteUse(site=site, last_used=last.get(site.value)) for site in InjectionSite.body_sites()
    ]


def least_recently_used(uses: Sequence[SiteUse]) -> InjectionSite:
    """A never-used site first (in body-map order), else the one used longest ago."""
    return min(uses, key=lambda use: (use.last_used is not None, use.last_used or date.min)).site


def overview(treatment: Treatment, *, today: date) -> Overview:
    injections = live_injections_of(treatment)
    recent = getattr(treatment, "recent_injections", None)
    if recent is None:  # model instances, read without treatments_with_care_data
        recent = sorted(injections, key=lambda i: i.taken_at, reverse=True)[:RECENT_HISTORY]
    taken = {i.dose_number: i.taken_on for i in injections}
    doses = doses_until(treatment, until=today + PLAN_HORIZON, taken=taken)
    status = dosing.dose_status(doses, taken, today)
    upcoming = [d for d in doses if d.number >= status.next_dose.number and d.number not in taken]
    packs = packs_of(treatment)
    devices_left = pack_maths.devices_left(packs, injections, today=today)
    balances, _shortfall = pack_maths.pack_balances(packs, injections, today=today)
    uses = site_uses(injections)
    return Overview(
        treatment=treatment,
        today=today,
        status=status,
        upcoming=upcoming,
        adherence=dosing.adherence(doses, taken, today),
        recent=recent,
        logged_count=len(injections),
        devices_left=devices_left,
        low_stock=is_low_stock(devices_left, status.next_dose.devices),
        sites=uses,
        suggested_site=least_recently_used(uses),
        packs=pack_maths.first_to_expire(balances),
        expiry_warnings=pack_maths.expiry_warnings(balances, upcoming),
        soon_after_late=dosing.next_dose_soon_after_late(doses, taken, status),
    )


def devices_left_of(
    treatment: Treatment, injections: Sequence[Injection], *, today: date
) -> int | None:
    """Devices left in the packs not expired on `today`; None until a delivery is recorded.
    Reads the packs from `treatments_with_care_data` when they are there."""
    return pack_maths.devices_left(packs_of(treatment), injections, today=today)


def is_low_stock(devices_left: int | None, devices_for_next_dose: int) -> bool:
    """What is left covers one dose or less (unknown until a delivery is recorded)."""
    return devices_left is not None and devices_left <= devices_for_next_dose


def stock_of(treatment: Treatment, *, today: date) -> tuple[int, int | None]:
    """(devices received, devices left on `today`), read from the database, not from
    prefetched data; left is None until the patient records a delivery."""
    packs = list(treatment.stock_deliveries.all())
    if not packs:
        return 0, None
    injections = treatment.injections.live().only("pack_id", "devices_used")
    return sum(p.devices for p in packs), pack_maths.devices_left(packs, injections, today=today)


def expiry_warnings_of(treatment: Treatment, *, today: date) -> list[pack_maths.ExpiryWarning]:
    """Packs expired with devices left, or to be used for a dose planned after their expiry,
    read from the database (for the reminders)."""
    packs = list(treatment.stock_deliveries.all())
    if not any(p.expires_on for p in packs):
        return []
    injections = list(treatment.injections.live())
    taken = {i.dose_number for i in injections}
    doses = doses_until(treatment, until=today + PLAN_HORIZON, taken=taken)
    upcoming = [d for d in doses if d.number not in taken and d.date >= today]
    balances, _shortfall = pack_maths.pack_balances(packs, injections, today=today)
    return pack_maths.expiry_warnings(balances, upcoming)


CHOICE_LOOKBACK = timedelta(weeks=13)
CHOICE_LOOKAHEAD = timedelta(weeks=8)


def unlogged_dose_choices(
    treatment: Treatment, *, today: date, keep: int | None = None
) -> list[dosing.PlannedDose]:
    """Doses a log may fulfil: not logged yet, planned from 13 weeks ago to 8 weeks ahead.

    The next dose after the last logged one is always offered, however late it is; `keep` is the
    dose of the entry being edited.
    """
    taken = {i.dose_number for i in live_injections_of(treatment) if i.dose_number != keep}
    doses = doses_until(treatment, until=today + CHOICE_LOOKAHEAD, taken=taken)
    next_number = max(taken, default=0) + 1  # the dose after the last one logged
    return [
        d
        for d in doses
        if d.number not in taken
        and (d.date >= today - CHOICE_LOOKBACK or d.number in {next_number, keep})
    ]
