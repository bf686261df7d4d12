"""Wall-clock times in a patient's home zone, checked against daylight-saving changes."""

import functools
from datetime import UTC, date, datetime, time
from importlib import resources
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NonExistentLocalTime(ValueError):
    """The clocks jumped over this time (spring forward)."""


class AmbiguousLocalTime(ValueError):
    """This time happened twice (fall back)."""


def local_to_utc(day: date, at: time, zone: ZoneInfo, *, fold: int | None = None) -> datetime:
    """The UTC instant of a wall-clock time in `zone`, refusing times a DST change makes unclear.

    `fold` picks one of the two instants of a repeated time (0: the first, 1: the second).
    """
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # zoneinfo gives the two offsets around a change; a round trip tells gap from overlap.
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != naive:
            raise NonExistentLocalTime(naive)
        if fold is None:
            raise AmbiguousLocalTime(naive)
        return (second if fold else first).astimezone(UTC)
    return first.astimezone(UTC)


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone).date()


def local_now(zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """Now in `zone`, to the minute (what a form field shows)."""
    moment = (now or timezone.now()).astimezone(zone)
    return moment.replace(second=0, microsecond=0)


def local_moment(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `zone`, in UTC.

    On the spring-forward day an hour that does not exist (02:00 in Paris) is read with the
    offset before the change, so it lands one hour later (03:00); on the fall-back day an hour
    that happens twice is its first occurrence.
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


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


# The first part of an IANA zone name, in the reader's language.
REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


def zone_name(zone: str) -> str:
    """A readable name for an IANA zone: "Europe/Paris" -> "Paris (Europe)",
    "America/Argentina/Buenos_Aires" -> "Buenos Aires, Argentina (America)". The IANA name
    stays the value stored and sent; a name without a region is shown as it is ("UTC")."""
    region, _slash, rest = str(zone).partition("/")
    if not rest:
        return str(zone).replace("_", " ")
    place = ", ".join(reversed(rest.replace("_", " ").split("/")))
    return f"{place} ({REGIONS.get(region, region)})"
