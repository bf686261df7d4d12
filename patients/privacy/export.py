"""A person's rights over their data: take it with them, erase it, and how long the record of
who accessed it is kept (GDPR articles 15, 17 and 20; the French CNIL's guidance on logs).

Export — `collect` reads everything stored about the signed-in person in a fixed number of
queries, whatever its amount; `export_document` turns it into the JSON document below and
`report_pdf` into a readable A4 PDF in the person's language, with times in their home zone,
through the travel letters' WeasyPrint machinery (its closed URL fetcher and fonts).

The JSON document (`"format": "interleukin-care-export/1"`; a later version may add keys,
never change the meaning of one):

    format, exported_at (UTC, ISO 8601 with "Z"), time_zone (the zone local times are in),
    account: email, display_name, role, language, time_zone, date_joined,
             health_data_consent_at, privacy_notice_version, email_confirmed_at,
             two_factor {authenticator_app, recovery_codes_left},
             clinician_profile (clinicians)
    treatments[]: id, drug {inn, brand_names}, regimen {name, label}, first_dose_on,
        prescriber_name, created_at, stopped_on, next_dose_on,
        injections[]: dose_number, taken_at (UTC), taken_at_local (home zone), taken_on,
            site, lot_number, reaction, note, devices_used, created_at, deleted_at,
            pack (the pack used: received_on, batch, expires_on, gtin; or null),
        stock_deliveries[] (the packs): received_on, brand, devices, batch, expires_on, gtin,
            created_at,
        dose_overrides[]: dose_number, date, created_at
    reminder_settings: lead_days, hour, by_email, in_app, by_push, paused, calendar_discreet,
        injection_time (HH:MM, home zone, or null), get_ready_by_email
    reminders[]: id, kind, channel, state, due_at, sent_at, read_at, about_date,
        dose_number, treatment_id, checklist_id, trip_id
    care_links[]: clinician {name, specialty, institution}, created_at, revoked_at
    invitations[]: direction, created_at, expires_at, accepted_at, cancelled_at
    checklists[] (every checklist about the patient, drafts a clinician has not shared yet
        included, with "draft": true): id, drug, created_at, shared_at, draft,
        items[]: label_fr, label_en, due_on, done_on, done_note, verified_at, result,
        events[]: at, actor_name, action, item_label, detail,
        share_links[]: created_at, expires_at, revoked_at (the token is a secret: left out)
    trips[]: id, destination, destination_time_zone, departs_on, returns_on, means,
        spare_doses, traveller_name, date_of_birth, passport_number, diagnosis, list_packs,
        created_at,
        letters[]: kind, approved_at, valid_until, revoked_at, content (as approved, frozen)
    access_log[]: at, actor_name, action
    login_records[] (django-axes, under the account's e-mail): at, ip_address, user_agent,
        logged_out_at
    failed_logins[]: last_at, ip_address, user_agent, failures
    journal: entries[], scores[], sharing[], flags[] (patients.journal.data)
    visit_preparation: last_visit_on, condition, questions, shared_at, shared_start,
        shared_end, updated_at (null when never prepared)
    push_devices[]: label, created_at, last_success_at, failures (not the endpoint or keys)

Secrets are left out: the password hash, the calendar feed's token, letters' verification
tokens, share-link tokens, invitation digests, the second factor's key and recovery codes,
push endpoints and keys. `sections.EXPORTED` names the key that holds each model's rows, and
`sections.NOT_EXPORTED` says why the others are not there (a test walks the models).

A clinician's export holds their own account and profile only: the patients they follow are
those patients' data, not theirs.

Erasure and retention live beside this module (`erasure`, `retention`).
"""

import json
import zoneinfo
from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from patients.journal.data import journal_export
from patients.models import (
    CareLink,
    Checklist,
    Reminder,
    ReminderSettings,
    Treatment,
    Trip,
)
from patients.privacy import sections
from patients.privacy.collect import PersonData

EXPORT_FORMAT = "interleukin-care-export/1"

# --- JSON ----------------------------------------------------------------------------------------


utc = sections.utc


def local(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _account(data: PersonData) -> dict:
    user = data.user
    account = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "language": user.language,
        "time_zone": user.time_zone,
        "date_joined": utc(user.date_joined),
        "health_data_consent_at": utc(user.health_data_consent_at),
        "privacy_notice_version": user.privacy_notice_version,
        "email_confirmed_at": utc(user.email_confirmed_at),
        "two_factor": sections.two_factor(
            authenticator=data.authenticator, recovery_codes_left=data.recovery_codes_left
        ),
    }
    if data.profile is not None:
        account["clinician_profile"] = {
            "specialty": data.profile.specialty,
            "institution": data.profile.institution,
            "registration_number": data.profile.registration_number,
            "status": data.profile.status,
            "reviewed_at": utc(data.profile.reviewed_at),
        }
    return account


def _treatment(treatment: Treatment, zone: zoneinfo.ZoneInfo) -> dict:
    return {
        "id": treatment.pk,
        "drug": {"inn": treatment.drug.inn, "brand_names": treatment.drug.brand_names},
        "regimen": {"name": treatment.regimen.name, "label": treatment.regimen.label_en},
        "condition": treatment.condition,
        "device": treatment.presentation_key,
        "first_dose_on": day(treatment.first_dose_on),
        "prescriber_name": treatment.prescriber_name,
        "created_at": utc(treatment.created_at),
        "stopped_on": day(treatment.stopped_on),
        "next_dose_on": day(treatment.next_dose_on),
        "injections": [
            {
                "dose_number": i.dose_number,
                "taken_at": utc(i.taken_at),
                "taken_at_local": local(i.taken_at, zone),
                "taken_on": day(i.taken_on),
                "site": i.site,
                "lot_number": i.lot_number,
                "reaction": i.reaction,
                "note": i.note,
                "devices_used": i.devices_used,
                "created_at": utc(i.created_at),
                "deleted_at": utc(i.deleted_at),
                "pack": (
                    {
                        "received_on": day(i.pack.received_on),
                        "batch": i.pack.batch,
                        "expires_on": day(i.pack.expires_on),
                        "gtin": i.pack.gtin,
                    }
                    if i.pack
                    else None
                ),
            }
            for i in treatment.injections.all()
        ],
        "stock_deliveries": [
            {
                "received_on": day(s.received_on),
                "brand": ", ".join(treatment.drug.brand_names),
                "devices": s.devices,
                "batch": s.batch,
                "expires_on": day(s.expires_on),
                "gtin": s.gtin,
                "created_at": utc(s.created_at),
            }
            for s in treatment.stock_deliveries.all()
        ],
        "dose_overrides": [
            {"dose_number": o.dose_number, "date": day(o.date), "created_at": utc(o.created_at)}
            for o in treatment.overrides.all()
        ],
    }


def _reminder_settings(settings_: ReminderSettings | None) -> dict | None:
    if settings_ is None:
        return None  # never changed: the defaults apply
    return {
        "lead_days": settings_.lead_days,
        "hour": settings_.hour,
        "by_email": settings_.by_email,
        "in_app": settings_.in_app,
        "by_push": settings_.by_push,
        "paused": settings_.paused,
        "calendar_discreet": settings_.calendar_discreet,
        "injection_time": (
            settings_.injection_time.strftime("%H:%M") if settings_.injection_time else None
        ),
        "get_ready_by_email": settings_.get_ready_by_email,
    }


def _reminder(reminder: Reminder) -> dict:
    return {
        "id": reminder.pk,
        "kind": reminder.kind,
        "channel": reminder.channel,
        "state": reminder.state,
        "due_at": utc(reminder.due_at),
        "sent_at": utc(reminder.sent_at),
        "read_at": utc(reminder.read_at),
        "about_date": day(reminder.about_date),
        "dose_number": reminder.dose_number,
        "treatment_id": reminder.treatment_id,
        "checklist_id": reminder.checklist_id,
        "trip_id": reminder.trip_id,
    }


def clinician_of(link: CareLink) -> dict:
    clinician = link.clinician
    profile = getattr(clinician, "clinician_profile", None)
    return {
        "name": clinician.display_name,
        "specialty": profile.specialty if profile else "",
        "institution": profile.institution if profile else "",
    }


def _checklist(checklist: Checklist) -> dict:
    return {
        "id": checklist.pk,
        "drug": checklist.drug.inn,
        "created_at": utc(checklist.created_at),
        "shared_at": utc(checklist.shared_at),
        "draft": checklist.shared_at is None,
        "items": [
            {
                "label_fr": item.label_fr,
                "label_en": item.label_en,
                "due_on": day(item.due_on),
                "done_on": day(item.done_on),
                "done_note": item.done_note,
                "verified_at": utc(item.verified_at),
                "result": item.result,
            }
            for item in checklist.items.all()
        ],
        "events": [
            {
                "at": utc(event.at),
                "actor_name": event.actor_name,
                "action": event.action,
                "item_label": event.item_label,
                "detail": event.detail,
            }
            for event in checklist.events.all()
        ],
        "share_links": [
            {
                "created_at": utc(link.created_at),
                "expires_at": utc(link.expires_at),
                "revoked_at": utc(link.revoked_at),
            }
            for link in checklist.share_links.all()
        ],
    }


def _trip(trip: Trip) -> dict:
    return {
        "id": trip.pk,
        "destination": trip.destination.code,
        "destination_time_zone": trip.destination_time_zone,
        "departs_on": day(trip.departs_on),
        "returns_on": day(trip.returns_on),
        "means": trip.means,
        "spare_doses": trip.spare_doses,
        "traveller_name": trip.traveller_name,
        "date_of_birth": day(trip.date_of_birth),
        "passport_number": trip.passport_number,
        "diagnosis": trip.diagnosis,
        "list_packs": trip.list_packs,
        "created_at": utc(trip.created_at),
        "letters": [
            {
                "kind": letter.kind,
                "approved_at": utc(letter.approved_at),
                "valid_until": day(letter.valid_until),
                "revoked_at": utc(letter.revoked_at),
                "content": letter.content,
            }
            for letter in trip.letters.all()
        ],
    }


def export_document(data: PersonData) -> dict:
    """The JSON document described in this module's docstring."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utc(data.now),
        "time_zone": data.user.time_zone,
        "account": _account(data),
        "treatments": [_treatment(t, data.zone) for t in data.treatments],
        "reminder_settings": _reminder_settings(data.reminder_settings),
        "reminders": [_reminder(r) for r in data.reminders],
        "care_links": [
            {
                "clinician": clinician_of(link),
                "created_at": utc(link.created_at),
                "revoked_at": utc(link.revoked_at),
            }
            for link in data.care_links
        ],
        "invitations": [
            {
                "direction": i.direction,
                "created_at": utc(i.created_at),
                "expires_at": utc(i.expires_at),
                "accepted_at": utc(i.accepted_at),
                "cancelled_at": utc(i.cancelled_at),
            }
            for i in data.invitations
        ],
        "checklists": [_checklist(c) for c in data.checklists],
        "trips": [_trip(t) for t in data.trips],
        "access_log": [
            {"at": utc(e.at), "actor_name": e.actor_name, "action": e.action}
            for e in data.access_events
        ],
        "journal": journal_export(data.user),
        "visit_preparation": sections.visit_preparation(data.visit_preparation),
        "push_devices": sections.push_devices(data.push_devices),
        "login_records": [
            {
                "at": utc(record.attempt_time),
                "ip_address": record.ip_address,
                "user_agent": record.user_agent,
                "logged_out_at": utc(record.logout_time),
            }
            for record in data.login_records
        ],
        "failed_logins": [
            {
                "last_at": utc(attempt.attempt_time),
                "ip_address": attempt.ip_address,
                "user_agent": attempt.user_agent,
                "failures": attempt.failures_since_start,
            }
            for attempt in data.failed_logins
        ],
    }


def export_json(data: PersonData) -> bytes:
    return json.dumps(export_document(data), ensure_ascii=False, indent=2).encode()


def export_filename(data: PersonData, extension: str) -> str:
    """`interleukin-care-export-YYYY-MM-DD.<extension>`, the date in the person's home zone."""
    return f"interleukin-care-export-{data.now.astimezone(data.zone):%Y-%m-%d}.{extension}"


# --- PDF -----------------------------------------------------------------------------------------


def page_footer() -> str:
    """The CSS `content` of the page footer ("Page 2 of 5") in the active language."""
    text = gettext("Page {page} of {pages}").replace('"', "")
    parts = text.replace("{pages}", '" counter(pages) "').replace("{page}", '" counter(page) "')
    return mark_safe(f'"{parts}"')  # our own translation, quotes removed: no markup, no escape


def report_html(data: PersonData) -> str:
    """The report in the person's language, every time shown in their home zone."""
    with translation.override(data.user.language), timezone.override(data.zone):
        context = {"d": data, "page_footer": page_footer()}
        return render_to_string("letters/export_report.html", context)


def report_pdf(data: PersonData) -> bytes:
    # Imported here: WeasyPrint is slow to import, and only this path (and the letters) need it.
    from patients.pdf import render_pdf

    return render_pdf(report_html(data))
