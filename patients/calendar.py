"""The private calendar feed (RFC 5545): planned doses for the next 12 months, with alarms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from patients.models import ReminderSettings, Treatment
from patients.timeutils import local_moment
from patients.treatments.reads import PLAN_HORIZON, doses_until, live_injections_of
from therapies import dosing

PRODID = "-//Interleukin Care//Dose calendar//EN"
UID_DOMAIN = "interleukin-care"


def planned_unlogged(treatment: Treatment, *, today: date) -> list[dosing.PlannedDose]:
    """Doses from today to a year ahead that are not logged yet, and the next dose when it is
    overdue (planned before today, not logged: the one the dashboard calls late)."""
    taken = {i.dose_number for i in live_injections_of(treatment)}
    doses = doses_until(treatment, until=today + PLAN_HORIZON, taken=taken)
    last_taken = max(taken, default=0)
    overdue = [d for d in doses if d.number > last_taken and d.date < today][:1]
    ahead = [d for d in doses if d.number not in taken and today <= d.date <= today + PLAN_HORIZON]
    return overdue + ahead


def event_uid(treatment: Treatment, dose_number: int) -> str:
    """Stable for a dose (a calendar app updates the event in place) and opaque: an HMAC, so
    that a shared event tells nothing of the treatment's row number (issue 17, item 12)."""
    key = f"{treatment.pk}:{dose_number}"
    digest = salted_hmac("patients.calendar.uid", key, algorithm="sha1").hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def dose_calendar(
    *,
    treatments: Iterable[Treatment],
    prefs: ReminderSettings,
    today: date,
    now: datetime,
) -> bytes:
    """All-day events (the plan is in days), each with one alarm per chosen reminder day.

    The alarms fire at the reminder hour in the patient's home zone, wherever the device is:
    each trigger is an absolute UTC moment (a trigger relative to a floating all-day date
    fires at the device's local hour). Alarms already past are left out.
    Discreet titles say "Treatment" and nothing else, for calendars other people can see.
    """
    zone = prefs.patient.zone
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
            event.add("uid", event_uid(treatment, dose.number))
            event.add("dtstamp", now)
            event.add("dtstart", dose.date)
            event.add("dtend", dose.date + timedelta(days=1))
            event.add("summary", summary)
            if description:
                event.add("description", description)
            event.add("transp", "TRANSPARENT")
            for lead in prefs.lead_days:
                moment = local_moment(dose.date - timedelta(days=lead), prefs.hour, zone)
                if moment <= now:
                    continue
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", summary)
                # RFC 5545 3.8.6.3: an absolute trigger says VALUE=DATE-TIME and is in UTC.
                alarm.add("trigger", moment.astimezone(UTC), parameters={"VALUE": "DATE-TIME"})
                event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical()
