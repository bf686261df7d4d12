"""Which stored rows the export holds, and the newer sections of the document (the visit
preparation, push devices, the second factor).

Every model that holds a person's data (a foreign key to the person, directly or through
another such model, or a row kept under their e-mail) is either in `EXPORTED` (where its rows
are in the JSON document; the PDF report shows the same sections) or in `NOT_EXPORTED` (why
not). tests/patients/test_privacy_coverage.py walks the models and fails on one in neither, so
a feature cannot add a table of personal data and forget the export.
"""

from __future__ import annotations

from datetime import UTC, datetime

from patients.models import PushSubscription, VisitPreparation

# Model label -> the key of the JSON document that holds its rows ("a.b": key b inside a).
EXPORTED = {
    "patients.User": "account",
    "patients.ClinicianProfile": "account.clinician_profile",
    "patients.Treatment": "treatments",
    "patients.Injection": "treatments",  # each treatment's injections, each with its pack
    "patients.StockDelivery": "treatments",  # each treatment's packs: batch, expiry, GTIN
    "patients.DoseOverride": "treatments",
    "patients.ReminderSettings": "reminder_settings",
    "patients.Reminder": "reminders",
    "patients.CareLink": "care_links",
    "patients.Invitation": "invitations",
    "patients.Checklist": "checklists",  # drafts included
    "patients.ChecklistItem": "checklists",
    "patients.ChecklistEvent": "checklists",
    "patients.ChecklistShareLink": "checklists",  # created, expires, revoked; not the token
    "patients.Trip": "trips",
    "patients.Letter": "trips",
    "patients.AccessEvent": "access_log",
    "patients.JournalEntry": "journal",
    "patients.ScoreSet": "journal",
    "patients.JournalShare": "journal",
    "patients.JournalFlag": "journal",
    "patients.VisitPreparation": "visit_preparation",
    "patients.PushSubscription": "push_devices",
    "axes.AccessLog": "login_records",
    "axes.AccessAttempt": "failed_logins",
    "otp_totp.TOTPDevice": "account.two_factor",  # on or off: the key is a secret
    "otp_static.StaticDevice": "account.two_factor",  # how many recovery codes are left
}

# Model label -> why its rows are not in the export.
NOT_EXPORTED = {
    "otp_static.StaticToken": "the recovery codes themselves are secrets: only their number is "
    "exported (account.two_factor)",
    "sessions.Session": "a session key is a secret that signs the browser in; sessions expire "
    "and an erasure ends them all",
    "admin.LogEntry": "a staff member's own record of their changes in the admin; a patient's "
    "data read there is in their access log",
    "axes.AccessAttemptExpiration": "when a failed-log-in row stops locking: the row itself is "
    "exported (failed_logins)",
    "axes.AccessFailureLog": "not kept (AXES_ENABLE_ACCESS_FAILURE_LOG is off)",
}


def utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def visit_preparation(prep: VisitPreparation | None) -> dict | None:
    if prep is None:
        return None  # never prepared
    return {
        "last_visit_on": prep.last_visit_on.isoformat() if prep.last_visit_on else None,
        "condition": prep.condition,
        "questions": prep.questions,
        "shared_at": utc(prep.shared_at),
        "shared_start": prep.shared_start.isoformat() if prep.shared_start else None,
        "shared_end": prep.shared_end.isoformat() if prep.shared_end else None,
        "updated_at": utc(prep.updated_at),
    }


def push_devices(subscriptions: list[PushSubscription]) -> list[dict]:
    """What the person can read about each device. The endpoint and the keys are left out:
    the endpoint is a capability URL of the browser's push service (whoever holds it, with the
    keys, can send notifications to that phone), and `p256dh`/`auth` are the encryption keys
    of the subscription; none of them says anything about the person that the label does not."""
    return [
        {
            "label": s.label,
            "created_at": utc(s.created_at),
            "last_success_at": utc(s.last_success_at),
            "failures": s.failures,
        }
        for s in subscriptions
    ]


def two_factor(*, authenticator: bool, recovery_codes_left: int) -> dict:
    return {"authenticator_app": authenticator, "recovery_codes_left": recovery_codes_left}
