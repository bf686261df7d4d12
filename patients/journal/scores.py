"""Recording the scores: one set per day (a second entry the same day completes or corrects
it), deleting with undo, and the one-tap itch score."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.journal import flags
from patients.models import ScoreSet, User

SCORE_FIELDS = (
    "itch",
    "skin_overall",
    "skin_areas",
    "skin_palms",
    "joint_pain",
    "joint_pain_score",
)

# The simple body map: regions and their labels live in the form; the total is what counts.
BODY_REGIONS = (
    "head",
    "arms",
    "trunk_front",
    "trunk_back",
    "legs",
    "hands_feet",
)


class ScoresAlreadyRecorded(ValueError):
    """Another live set already holds that day (edit it instead)."""


def _fill(score_set: ScoreSet, fields: dict) -> None:
    unknown = set(fields) - set(SCORE_FIELDS)
    if unknown:
        raise TypeError(f"unknown score fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(score_set, name, value)
    if "skin_areas" in fields:
        areas = {k: v for k, v in (fields["skin_areas"] or {}).items() if v}
        score_set.skin_areas = areas
        score_set.skin_palms = sum(areas.values()) if fields["skin_areas"] else None
    if score_set.joint_pain is False:
        score_set.joint_pain_score = None


def record_scores(
    *, patient: User, recorded_on: date, now: datetime | None = None, **fields
) -> ScoreSet:
    """The day's scores: creates the set, or completes the day's set with the scores given."""
    now = now or timezone.now()
    with transaction.atomic():
        score_set = (
            ScoreSet.objects.live()
            .select_for_update()
            .filter(patient=patient, recorded_on=recorded_on)
            .first()
        ) or ScoreSet(patient=patient, recorded_on=recorded_on)
        _fill(score_set, fields)
        score_set.save()
        flags.raise_for_scores(score_set=score_set, now=now)
    return score_set


def quick_itch(*, patient: User, itch: int, today: date, now: datetime) -> ScoreSet:
    if not 0 <= itch <= 10:
        raise ValueError(itch)
    return record_scores(patient=patient, recorded_on=today, now=now, itch=itch)


def update_scores(
    *, score_set: ScoreSet, recorded_on: date, now: datetime | None = None, **fields
) -> ScoreSet:
    score_set.recorded_on = recorded_on
    _fill(score_set, fields)
    try:
        with transaction.atomic():
            score_set.save()
            flags.raise_for_scores(score_set=score_set, now=now or timezone.now())
    except IntegrityError:
        raise ScoresAlreadyRecorded(recorded_on) from None
    return score_set


def delete_scores(*, score_set: ScoreSet, now: datetime | None = None) -> None:
    score_set.deleted_at = now or timezone.now()
    with transaction.atomic():
        score_set.save(update_fields=["deleted_at", "updated_at"])
        flags.withdraw(patient=score_set.patient, key=flags.scores_key(score_set))


def restore_scores(*, score_set: ScoreSet, now: datetime | None = None) -> None:
    deleted_at, score_set.deleted_at = score_set.deleted_at, None
    try:
        with transaction.atomic():
            score_set.save(update_fields=["deleted_at", "updated_at"])
            flags.raise_for_scores(score_set=score_set, now=now or timezone.now())
    except IntegrityError:
        score_set.deleted_at = deleted_at  # the day was scored again meanwhile
        raise ScoresAlreadyRecorded(score_set.recorded_on) from None
