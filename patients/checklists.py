"""Pre-treatment checklists: built from the catalogue template of the planned drug's class,
trimmed and shared by a clinician, completed by the patient, verified by the clinician.

Every change writes a `ChecklistEvent` (who, what, when). The patient is told when a checklist is
shared and, every week while items they have to do stay open, reminded through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from patients.care import actor_name, record_access
from patients.models import (
    AccessAction,
    Checklist,
    ChecklistAction,
    ChecklistEvent,
    ChecklistItem,
    Kind,
    Result,
    User,
)
from patients.reminders.outbox import channels_of, create_rows, outbox_row, settings_of
from patients.reminders.registry import register_kind, register_patient_planner
from patients.timeutils import local_moment
from therapies.models import ChecklistTemplate, CompletedBy, Drug

REMIND_EVERY = timedelta(weeks=1)
SHARE_LINK_DAYS = (7, 30)


class ChecklistError(Exception):
    """A refusal the person can act on; the message is shown as it is."""


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    verified: int

    @property
    def to_verify(self) -> int:
        """Items done (by the patient) that no specialist has verified yet."""
        return self.done - self.verified

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress_of(items: list[ChecklistItem]) -> Progress:
    return Progress(
        total=len(items),
        done=sum(item.is_done for item in items),
        verified=sum(item.is_verified for item in items),
    )


def with_items(checklists):
    """Checklists with their items and the people on them, in two queries."""
    return checklists.select_related("drug", "created_by").prefetch_related(
        Prefetch(
            "items",
            queryset=ChecklistItem.objects.select_related("done_by", "verified_by"),
            to_attr="all_items",
        )
    )


def _event(checklist, actor: User, action, now, *, item=None, detail: str = "") -> None:
    ChecklistEvent.objects.create(
        checklist=checklist,
        item=item,
        item_label=item.label_en if item else "",
        actor=actor,
        actor_name=actor_name(actor),
        action=action,
        detail=detail,
        at=now,
    )
    if actor is not None and actor.pk != checklist.patient_id:
        # A clinician's change to a patient's checklist is also in that patient's access log.
        record_access(
            patient=checklist.patient_id,
            actor=actor,
            action=AccessAction.CHANGED_CHECKLIST,
            now=now,
        )


def template_items(drug: Drug) -> list:
    template = ChecklistTemplate.objects.filter(drug_class=drug.drug_class).first()
    if template is None:
        return []
    return [item for item in template.items.all() if item.applies_to(drug)]


COPIED = (
    "key",
    "label_fr",
    "label_en",
    "explanation_fr",
    "explanation_en",
    "source",
    "article",
    "completed_by",
    "records_date",
    "records_result",
)


@transaction.atomic
def create_checklist(*, patient: User, drug: Drug, clinician: User, now: datetime) -> Checklist:
    """A draft from the template of the drug's class; the patient sees it once it is shared."""
    checklist = Checklist.objects.create(
        patient=patient, drug=drug, created_by=clinician, created_at=now
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            position=position,
            **{name: getattr(item, name) for name in COPIED},
        )
        for position, item in enumerate(template_items(drug), start=1)
    )
    _event(checklist, clinician, ChecklistAction.CREATED, now, detail=drug.inn)
    return checklist


@transaction.atomic
def add_item(
    *,
    checklist: Checklist,
    label: str,
    completed_by: str,
    records_result: bool,
    due_on: date | None,
    actor: User,
    now: datetime,
) -> ChecklistItem:
    last = checklist.items.order_by("-position").values_list("position", flat=True).first()
    item = ChecklistItem.objects.create(
        checklist=checklist,
        position=(last or 0) + 1,
        label_fr=label,
        label_en=label,
        completed_by=completed_by,
        records_result=records_result,
        due_on=due_on,
    )
    _event(checklist, actor, ChecklistAction.ADDED, now, item=item)
    plan_checklist_reminder(checklist=checklist, now=now)
    return item


@transaction.atomic
def remove_item(*, item: ChecklistItem, actor: User, now: datetime) -> None:
    checklist = item.checklist
    _event(checklist, actor, ChecklistAction.REMOVED, now, item=item)
    item.delete()
    plan_checklist_reminder(checklist=checklist, now=now)


@transaction.atomic
def set_due_date(*, item: ChecklistItem, due_on: date | None, actor: User, now: datetime) -> None:
    item.due_on = due_on
    item.save(update_fields=["due_on"])
    detail = due_on.isoformat() if due_on else ""
    _event(item.checklist, actor, ChecklistAction.DUE, now, item=item, detail=detail)


@transaction.atomic
def share_checklist(*, checklist: Checklist, actor: User, now: datetime) -> bool:
    """Show it to the patient and tell them (in the app and by e-mail). False if already shared."""
    claimed = Checklist.objects.filter(pk=checklist.pk, shared_at=None).update(shared_at=now)
    if not claimed:
        return False
    checklist.shared_at = now
    _event(checklist, actor, ChecklistAction.SHARED, now)
    prefs = settings_of(checklist.patient)
    _create_notices(checklist, Kind.CHECKLIST_SHARED, "shared", channels_of(prefs), now)
    plan_checklist_reminder(checklist=checklist, now=now)
    return True


def _create_notices(checklist: Checklist, kind, occurrence: str, channels, now) -> None:
    create_rows(
        [
            outbox_row(
                patient_id=checklist.patient_id,
                kind=kind,
                occurrence=occurrence,
                channel=channel,
                now=now,
                checklist=checklist,
            )
            for channel in channels
        ]
    )


def patient_may_complete(item: ChecklistItem) -> bool:
    """The patient marks their own items, until the clinician has verified them."""
    return item.completed_by == CompletedBy.PATIENT and not item.is_verified


def verified_error() -> ChecklistError:
    return ChecklistError(
        _("Your specialist has verified this item: it can no longer be changed here.")
    )


@transaction.atomic
def mark_done(*, item: ChecklistItem, done_on: date, note: str, actor: User, now: datetime) -> None:
    """The patient did one of their items (the clinician's path is `verify_item`)."""
    if not patient_may_complete(item):
        raise verified_error()
    item.done_on, item.done_note, item.done_at, item.done_by = done_on, note, now, actor
    # Conditional: if the clinician's request verified it meanwhile, the patient's change waits.
    changed = ChecklistItem.objects.filter(pk=item.pk, verified_at__isnull=True).update(
        done_on=done_on, done_note=note, done_at=now, done_by=actor
    )
    if not changed:
        raise verified_error()
    _event(item.checklist, actor, ChecklistAction.DONE, now, item=item, detail=done_on.isoformat())
    plan_checklist_reminder(checklist=item.checklist, now=now)


@transaction.atomic
def mark_not_done(*, item: ChecklistItem, actor: User, now: datetime) -> None:
    if not patient_may_complete(item):
        raise verified_error()
    item.done_on = item.done_at = item.done_by = None
    item.done_note = ""
    undone = ChecklistItem.objects.filter(pk=item.pk, verified_at__isnull=True).update(
        done_on=None, done_note="", done_at=None, done_by=None
    )
    if not undone:
        raise verified_error()
    _event(item.checklist, actor, ChecklistAction.UNDONE, now, item=item)
    plan_checklist_reminder(checklist=item.checklist, now=now)


@transaction.atomic
def verify_item(
    *, item: ChecklistItem, done_on: date, result: str, actor: User, now: datetime
) -> None:
    """The clinician confirms the item (marking it done on `done_on` if the patient had not)."""
    if not item.is_done:
        item.done_on, item.done_at, item.done_by = done_on, now, actor
    item.verified_at, item.verified_by = now, actor
    item.result = result if item.records_result else ""
    item.save(
        update_fields=["done_on", "done_at", "done_by", "verified_at", "verified_by", "result"]
    )
    detail = str(Result(result).label) if item.result else ""
    _event(item.checklist, actor, ChecklistAction.VERIFIED, now, item=item, detail=detail)
    plan_checklist_reminder(checklist=item.checklist, now=now)


@transaction.atomic
def unverify_item(*, item: ChecklistItem, actor: User, now: datetime) -> None:
    item.verified_at = item.verified_by = None
    item.result = ""
    item.save(update_fields=["verified_at", "verified_by", "result"])
    _event(item.checklist, actor, ChecklistAction.UNVERIFIED, now, item=item)


# --- Weekly reminder -----------------------------------------------------------------------------


def patient_open_items(checklist: Checklist):
    return checklist.items.filter(completed_by=CompletedBy.PATIENT, done_at__isnull=True)


def plan_checklist_reminder(*, checklist: Checklist, now: datetime) -> None:
    """The next weekly reminder: same weekday as the sharing, at the patient's reminder hour,
    while items the patient has to do stay open."""
    due = None
    if checklist.shared_at is not None and patient_open_items(checklist).exists():
        patient = checklist.patient
        prefs, zone = settings_of(patient), patient.zone
        if channels_of(prefs):
            shared_day = checklist.shared_at.astimezone(zone).date()
            weeks = max(1, (now.astimezone(zone).date() - shared_day).days // 7)
            due = local_moment(shared_day + weeks * REMIND_EVERY, prefs.hour, zone)
            while due <= now:
                weeks += 1
                due = local_moment(shared_day + weeks * REMIND_EVERY, prefs.hour, zone)
    Checklist.objects.filter(pk=checklist.pk).update(next_reminder_at=due)
    checklist.next_reminder_at = due


@register_patient_planner
def plan_checklist_reminders(*, patient: User, now: datetime) -> None:
    for checklist in patient.checklists.filter(shared_at__isnull=False):
        plan_checklist_reminder(checklist=checklist, now=now)


def queue_checklist_reminders(*, now: datetime) -> int:
    """Write the weekly reminders that have fallen due (a handful a day: plain ORM)."""
    due = Checklist.objects.filter(next_reminder_at__lte=now).select_related(
        "patient__reminder_settings"
    )
    count = 0
    for checklist in due:
        with transaction.atomic():
            claimed = Checklist.objects.filter(
                pk=checklist.pk, next_reminder_at=checklist.next_reminder_at
            ).update(next_reminder_at=None)
            if not claimed:
                continue  # someone else moved it meanwhile
            zone = checklist.patient.zone
            week = (
                checklist.next_reminder_at.astimezone(zone).date()
                - checklist.shared_at.astimezone(zone).date()
            ).days // 7
            if patient_open_items(checklist).exists():
                channels = channels_of(settings_of(checklist.patient))
                _create_notices(checklist, Kind.CHECKLIST_OPEN, f"week-{week}", channels, now)
                count += 1
            plan_checklist_reminder(checklist=checklist, now=now)
    return count


def _still_shared(reminder, today: date) -> bool:
    return reminder.checklist.shared_at is not None


def _still_open(reminder, today: date) -> bool:
    return patient_open_items(reminder.checklist).exists()


def _notice_context(reminder) -> dict:
    checklist = reminder.checklist
    return {
        "drug": checklist.drug,
        "checklist": checklist,
        "open_items": patient_open_items(checklist).count(),
    }


register_kind(
    Kind.CHECKLIST_SHARED,
    template="checklist_shared",
    still_stands=_still_shared,
    context=_notice_context,
    related=("checklist",),
    shared=("checklist__drug",),
)
register_kind(
    Kind.CHECKLIST_OPEN,
    template="checklist_open",
    still_stands=_still_open,
    context=_notice_context,
    related=("checklist",),
    shared=("checklist__drug",),
)
