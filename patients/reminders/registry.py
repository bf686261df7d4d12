"""What delivery knows about each kind of reminder, declared by the feature that owns the kind.

A feature calls `register_kind` when its module is imported (`PatientsConfig.ready()` imports
them), so the delivery engine finds a kind's rules without importing the feature. A new kind is
one `register_kind` call beside its feature's code and its e-mail templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from patients.models import Reminder, User


@dataclass(frozen=True)
class KindSpec:
    template: str  # emails/<template>_subject.txt, _body.txt, _body.html
    still_stands: Callable[[Reminder, date], bool]
    context: Callable[[Reminder], dict]  # may set "drug"; the engine sets the rest
    related: tuple[str, ...] = ()  # select_related paths the two callables read
    # Paths to rows that many reminders share (the catalogue's drugs and regimens): fetched once
    # per batch (prefetch_related), not joined and decoded again for each reminder.
    shared: tuple[str, ...] = ()


KINDS: dict[str, KindSpec] = {}
# Called after a patient changed their settings or home zone: each feature plans its own
# reminders again (treatments' doses, checklists, trips).
PATIENT_PLANNERS: list[Callable[..., None]] = []


def register_kind(
    kind: str,
    *,
    template: str,
    still_stands: Callable[[Reminder, date], bool],
    context: Callable[[Reminder], dict],
    related: tuple[str, ...] = (),
    shared: tuple[str, ...] = (),
) -> None:
    KINDS[kind] = KindSpec(template, still_stands, context, related, shared)


def kind_spec(kind: str) -> KindSpec:
    return KINDS[kind]


def related_paths() -> list[str]:
    """Every path the registered kinds read, for the delivery batch's one query."""
    return sorted({path for spec in KINDS.values() for path in spec.related})


def shared_paths() -> list[str]:
    """Every shared path the registered kinds read, prefetched once for the delivery batch."""
    return sorted({path for spec in KINDS.values() for path in spec.shared})


def register_patient_planner(planner: Callable[..., None]) -> Callable[..., None]:
    """`planner(patient=, now=)`; usable as a decorator."""
    if planner not in PATIENT_PLANNERS:
        PATIENT_PLANNERS.append(planner)
    return planner


def plan_patient_reminders(*, patient: User, now: datetime) -> None:
    """After the patient changed their settings or home zone."""
    for planner in PATIENT_PLANNERS:
        planner(patient=patient, now=now)
