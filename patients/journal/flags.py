"""The clinic dashboard's flags: which patients need a look, and why.

Raised when the patient writes (an entry or a set of scores), for each specialist the journal is
shared with; overdue doses are found when the specialist opens the dashboard (the doses are
theirs to see whatever the sharing). A flag is kept once per cause (its `key`), so saving again
or reloading the dashboard never doubles it; deleting the entry or the scores withdraws it.

Thresholds:
- itch up by 4 points or more against the patient's own baseline: a 4-point change of the itch
  numeric rating scale is meaningful in plaque psoriasis (Kimball 2016, BJD; reference
  peers-and-standards.md, section d);
- skin worse: the overall skin score, or the area in palms, up by 3 or more against the
  baseline. This is the project's own threshold, not a validated one: it only asks for a look;
- the baseline is the median of the patient's previous three scores (at least one is needed);
- a dose overdue past the window: the next dose planned more than ON_TIME_WINDOW_DAYS ago (the
  window the regularity figure uses; the labels themselves say "as soon as possible").
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q

from patients.care import LISTING_QUIET, actor_name, linked_patients
from patients.journal.sharing import sharing_clinician_ids
from patients.models import (
    AccessAction,
    AccessEvent,
    FlagReason,
    JournalEntry,
    JournalFlag,
    JournalShare,
    ScoreSet,
    Treatment,
    User,
)
from therapies.dosing import ON_TIME_WINDOW_DAYS

ITCH_RISE = 4
SKIN_RISE = 3
BASELINE_OF = 3
DASHBOARD_FLAGS = 50


def entry_key(entry: JournalEntry) -> str:
    return f"entry-{entry.pk}"


def scores_key(score_set: ScoreSet) -> str:
    return f"scores-{score_set.pk}"


def _create(patient: User, key: str, raised: list[tuple[str, dict]], about: date, now) -> None:
    clinicians = sharing_clinician_ids(patient)
    JournalFlag.objects.bulk_create(
        [
            JournalFlag(
                clinician_id=clinician_id,
                patient=patient,
                reason=reason,
                key=key,
                detail=detail,
                about_date=about,
                raised_at=now,
            )
            for clinician_id in clinicians
            for reason, detail in raised
        ],
        ignore_conflicts=True,
    )


def withdraw(*, patient: User, key: str) -> None:
    JournalFlag.objects.filter(patient=patient, key=key).delete()


def entry_reasons(entry: JournalEntry) -> list[tuple[str, dict]]:
    reasons = []
    if entry.infection:
        reasons.append((FlagReason.INFECTION, {"fever": bool(entry.fever)}))
    if entry.serious_reaction:
        reasons.append((FlagReason.SERIOUS_REACTION, {"site": entry.site_reaction}))
    elif entry.marked_site_reaction:
        reasons.append((FlagReason.SITE_REACTION, {}))
    if entry.dose_held:
        reasons.append((FlagReason.DOSE_HELD, {"why": entry.held_reason}))
    return reasons


def raise_for_entry(*, entry: JournalEntry, now: datetime) -> None:
    withdraw(patient=entry.patient, key=entry_key(entry))
    if reasons := entry_reasons(entry):
        _create(entry.patient, entry_key(entry), reasons, entry.occurred_on, now)


def baseline(values: list[int]) -> float | None:
    """The median of the previous BASELINE_OF values (newest first), or None without any."""
    recent = [v for v in values if v is not None][:BASELINE_OF]
    return statistics.median(recent) if recent else None


def score_reasons(score_set: ScoreSet, earlier: list[ScoreSet]) -> list[tuple[str, dict]]:
    """`earlier`: the patient's live sets before this one, newest first."""
    reasons = []
    itch_base = baseline([s.itch for s in earlier])
    rose = score_set.itch is not None and itch_base is not None
    if rose and score_set.itch - itch_base >= ITCH_RISE:
        reasons.append((FlagReason.ITCH_UP, {"value": score_set.itch, "baseline": itch_base}))
    worse = {}
    for field in ("skin_overall", "skin_palms"):
        base = baseline([getattr(s, field) for s in earlier])
        value = getattr(score_set, field)
        if value is not None and base is not None and value - base >= SKIN_RISE:
            worse[field] = {"value": value, "baseline": base}
    if worse:
        reasons.append((FlagReason.SKIN_WORSE, worse))
    return reasons


def raise_for_scores(*, score_set: ScoreSet, now: datetime) -> None:
    withdraw(patient=score_set.patient, key=scores_key(score_set))
    earlier = list(
        ScoreSet.objects.live()
        .filter(patient=score_set.patient, recorded_on__lt=score_set.recorded_on)
        .order_by("-recorded_on")[: BASELINE_OF * 4]
    )
    if reasons := score_reasons(score_set, earlier):
        _create(score_set.patient, scores_key(score_set), reasons, score_set.recorded_on, now)


def raise_overdue_flags(*, clinician: User, today: date, now: datetime) -> None:
    """Linked patients' doses planned more than the window ago and not logged: one select and,
    when there are any, one insert (what is already flagged is ignored by the constraint)."""
    limit = today - timedelta(days=ON_TIME_WINDOW_DAYS)
    overdue = (
        Treatment.objects.active()
        .filter(patient__in=linked_patients(clinician), next_dose_on__lt=limit)
        .values_list("pk", "patient_id", "next_dose_number", "next_dose_on", "patient__time_zone")
    )
    JournalFlag.objects.bulk_create(
        [
            JournalFlag(
                clinician=clinician,
                patient_id=patient_id,
                reason=FlagReason.OVERDUE,
                key=f"overdue-{pk}-{number}",
                detail={"dose": number, "planned": planned.isoformat()},
                about_date=planned,
                # Newest first means when the need arose: the day after the window closed.
                raised_at=min(now, _window_closed(planned, zone)),
            )
            for pk, patient_id, number, planned, zone in overdue
        ],
        ignore_conflicts=True,
    )


def _window_closed(planned: date, zone: str) -> datetime:
    day = planned + timedelta(days=ON_TIME_WINDOW_DAYS + 1)
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


def open_flags(clinician: User, *, limit: int = DASHBOARD_FLAGS):
    """The specialist's flags not seen yet, newest first, for patients linked right now; the
    journal's only while the patient still shares it with them. One query."""
    shared = JournalShare.objects.filter(
        patient=OuterRef("patient_id"), clinician=clinician, shared=True
    )
    return (
        JournalFlag.objects.filter(
            clinician=clinician,
            seen_at__isnull=True,
            patient__in=linked_patients(clinician),
        )
        .filter(Q(reason=FlagReason.OVERDUE) | Q(Exists(shared)))
        .select_related("patient")
        .only(
            "id",
            "reason",
            "detail",
            "about_date",
            "raised_at",
            "patient_id",
            "patient__id",
            "patient__display_name",
            "patient__time_zone",
        )
        .order_by("-raised_at", "-pk")[:limit]
    )


def record_flags_seen(*, patient_ids: list[int], actor: User, now: datetime) -> None:
    """The journal flags a specialist's dashboard showed, in each patient's access log: one
    record per patient and LISTING_QUIET, so reloading does not bury the log. Two queries at
    most, whatever the number of flags."""
    if not patient_ids:
        return
    recent = set(
        AccessEvent.objects.filter(
            patient_id__in=patient_ids,
            actor=actor,
            action=AccessAction.SAW_JOURNAL_FLAG,
            at__gte=now - LISTING_QUIET,
        ).values_list("patient_id", flat=True)
    )
    name = actor_name(actor)
    AccessEvent.objects.bulk_create(
        AccessEvent(
            patient_id=pk,
            actor=actor,
            actor_name=name,
            action=AccessAction.SAW_JOURNAL_FLAG,
            at=now,
        )
        for pk in sorted(set(patient_ids) - recent)
    )


def mark_seen(*, flag: JournalFlag, now: datetime) -> None:
    JournalFlag.objects.filter(pk=flag.pk, seen_at__isnull=True).update(seen_at=now)
