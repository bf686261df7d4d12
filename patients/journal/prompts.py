"""The monthly prompt: "how are you?", through the reminder channels the patient chose.

Hourly (beat), `queue_journal_prompts` writes an outbox row for each patient on treatment who
has recorded no scores for PROMPT_EVERY and was not prompted in that time, once their reminder
hour has come in their home zone. The row is tied to one active treatment so that the outbox's
unique constraint (treatment, kind, occurrence, channel) makes it happen once a month. The kind
is registered with the reminders' delivery engine at the end of this module.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse

from patients.models import Kind, Reminder, ScoreSet, Treatment, User
from patients.reminders.outbox import channels_of, create_rows, outbox_row, settings_of
from patients.reminders.registry import register_kind

PROMPT_EVERY = timedelta(days=28)


def queue_journal_prompts(*, now: datetime) -> int:
    since = now - PROMPT_EVERY
    scored = ScoreSet.objects.filter(patient=OuterRef("pk"), created_at__gte=since)
    prompted = Reminder.objects.filter(
        patient=OuterRef("pk"), kind=Kind.JOURNAL_PROMPT, created_at__gte=since
    )
    on_treatment = Treatment.objects.active().filter(patient=OuterRef("pk"))
    patients = (
        User.objects.filter(role="patient", is_active=True)
        .filter(Exists(on_treatment))
        # The row's subject: one active treatment, read with the patient (no query each).
        .annotate(prompt_treatment=Subquery(on_treatment.order_by("pk").values("pk")[:1]))
        .exclude(Exists(scored))
        .exclude(Exists(prompted))
        .select_related("reminder_settings")
    )
    rows = []
    for patient in patients.iterator(chunk_size=2000):
        prefs = settings_of(patient)
        local = now.astimezone(patient.zone)
        if local.hour < prefs.hour:
            continue
        rows += [
            outbox_row(
                patient_id=patient.pk,
                kind=Kind.JOURNAL_PROMPT,
                occurrence=f"journal:{local:%Y-%m}",
                channel=channel,
                now=now,
                treatment_id=patient.prompt_treatment,
            )
            for channel in channels_of(prefs)
        ]
    create_rows(rows)
    return len(rows)


def prompt_still_stands(reminder: Reminder, today: date) -> bool:
    """Not once the patient has scored since, nor when the treatment has stopped."""
    if reminder.treatment is None or reminder.treatment.stopped_on is not None:
        return False
    return not ScoreSet.objects.filter(
        patient_id=reminder.patient_id, created_at__gte=reminder.created_at
    ).exists()


def prompt_context(reminder: Reminder) -> dict:
    return {"open_url": settings.SITE_URL + reverse("patients:journal_scores")}


register_kind(
    Kind.JOURNAL_PROMPT,
    template="journal_prompt",
    still_stands=prompt_still_stands,
    context=prompt_context,
    related=("treatment",),
)
