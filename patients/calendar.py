"""The private calendar feed (RFC 5545): planned doses for the next 12 months, with alarms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from patients.models import ReminderSettings, Treatment
from patients.treatments.reads import PLAN_HORIZON, doses_until, live_injections_of
from therapies import dosing

PRODID = "-//Interleukin Care//Dose calendar//EN"
UID_DOMAIN = "interleukin-care"


def planned_unlogged(treatment: Treatment, *, today: date) -> list[dosing.PlannedDose]:
    """Doses from today to a year ahead that are not logged yet."""
    taken = {i.dose_number for i in live_injections_of(treatment)}
    doses = doses_until(treatment, until=today + PLAN_HORIZON, taken=taken)
    return [d for d in doses if d.number not in taken and today <= d.date <= today + PLAN_HORIZON]


def dose_calendar(
    *,
    treatments: Iterable[Treatment],
    prefs: ReminderSettings,
    today: date,
    now: datetime,
) -> bytes:
    """All-day events (the plan is in days), each with one alarm per chosen reminder day.

    Discreet titles say "Treatment" and nothing else, for calendars other people can see.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Treatment") if prefs.calendar_discreet else _("My injections"))
    for treatment in treatments:
        drug = treatment.drug
        for dose in planned_unlogged(treatment, today=today):
            if prefs.calendar_discreet:
                summary, description = _("Treatment"), ""
            else:
                summary = _("%(brand)s injection (%(inn)s)") % {
                    "brand": drug.brands,
                    "inn": drug.inn,
                }
                description = _("Dose %(number)s: %(mg)s mg, %(devices)s device(s).") % {
                    "number": dose.number,
                    "mg": dose.dose_mg,
                    "devices": dose.devices,
                }
            event = Event()
            event.add("uid", f"dose-{treatment.pk}-{dose.number}@{UID_DOMAIN}")
            event.add("dtstamp", now)
            event.add("dtstart", dose.date)
            event.add("dtend", dose.date + timedelta(days=1))
            event.add("summary", summary)
            if description:
                event.add("description", description)
            event.add("transp", "TRANSPARENT")
            for lead in prefs.lead_days:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", summary)
                # Relative to the start of an all-day event: `hour` o'clock, `lead` days before.
                alarm.add("trigger", timedelta(days=-lead, hours=prefs.hour))
                event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical()
