"""The care team: clinician approval, invitations both ways, links, and the access record.

A clinician reaches a patient's data only through an active `CareLink` while their own account is
approved; `linked_patients` is the one place that rule is written, and every clinician view
starts from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from patients.models import (
    AccessAction,
    AccessEvent,
    CareLink,
    ChecklistItem,
    ClinicianProfile,
    ClinicianStatus,
    Injection,
    Invitation,
    InvitationDirection,
    Treatment,
    User,
)
from patients.models.care import digest, new_invitation_code, normalize_code

INVITATION_VALID_FOR = timedelta(days=7)
# A clinician going through pages or refining a search sees the same rows again: one record
# per patient and hour of browsing says it as truly without burying the patient's log.
LISTING_QUIET = timedelta(hours=1)


class CareError(Exception):
    """A refusal the person can act on; the message is shown as it is."""


def is_approved_clinician(user: User) -> bool:
    if not user.is_authenticated or not user.is_clinician:
        return False
    try:
        return user.clinician_profile.approved
    except ClinicianProfile.DoesNotExist:
        return False


def linked_patients(clinician: User):
    """The patients this clinician may see right now: none unless approved."""
    if not is_approved_clinician(clinician):
        return User.objects.none()
    return User.objects.filter(
        role="patient", clinician_links__clinician=clinician, clinician_links__revoked_at=None
    )


def has_approved_clinician(patient: User) -> bool:
    """Someone may approve this patient's letters: an active link to an approved clinician."""
    return (
        CareLink.objects.active()
        .filter(patient=patient, clinician__clinician_profile__status=ClinicianStatus.APPROVED)
        .exists()
    )


def review_clinician(*, profile: ClinicianProfile, approve: bool, by: User, now: datetime) -> None:
    profile.status = ClinicianStatus.APPROVED if approve else ClinicianStatus.REFUSED
    profile.reviewed_at, profile.reviewed_by = now, by
    profile.save(update_fields=["status", "reviewed_at", "reviewed_by"])


def create_invitation(*, by: User, now: datetime) -> tuple[Invitation, str]:
    """A new single-use code; only its digest is stored, so the code is returned once."""
    if by.is_clinician and not is_approved_clinician(by):
        raise CareError(_("Your account is waiting for approval: you cannot invite anyone yet."))
    direction = (
        InvitationDirection.TO_PATIENT if by.is_clinician else InvitationDirection.TO_CLINICIAN
    )
    code = new_invitation_code()
    invitation = Invitation.objects.create(
        code_digest=digest(normalize_code(code)),
        direction=direction,
        created_by=by,
        created_at=now,
        expires_at=now + INVITATION_VALID_FOR,
    )
    return invitation, code


def find_invitation(code: str) -> Invitation | None:
    normalized = normalize_code(code)
    if not normalized:
        return None
    return (
        Invitation.objects.select_related("created_by__clinician_profile")
        .filter(code_digest=digest(normalized))
        .first()
    )


def check_invitation(invitation: Invitation | None, *, user: User, now: datetime) -> Invitation:
    """The invitation if `user` may accept it now; otherwise a CareError saying why."""
    if invitation is None:
        raise CareError(_("This code is not valid. Check it, or ask for a new invitation."))
    if invitation.accepted_at is not None:
        raise CareError(_("This invitation has already been used. Ask for a new one."))
    if invitation.cancelled_at is not None:
        raise CareError(_("This invitation was cancelled. Ask for a new one."))
    if now >= invitation.expires_at:
        raise CareError(_("This invitation has expired (after 7 days). Ask for a new one."))
    if invitation.created_by_id == user.pk:
        raise CareError(_("This is your own invitation: give it to the other person."))
    if invitation.direction == InvitationDirection.TO_PATIENT and not user.is_patient:
        raise CareError(_("This invitation is for a patient. Sign in with a patient account."))
    if invitation.direction == InvitationDirection.TO_CLINICIAN:
        if not user.is_clinician:
            raise CareError(_("This invitation is for a clinician. Sign in as a clinician."))
        if not is_approved_clinician(user):
            raise CareError(_("Your account is waiting for approval: try again once approved."))
    return invitation


def accept_invitation(*, code: str, user: User, now: datetime) -> CareLink:
    """Use the code once and link the two people, or raise CareError and create nothing."""
    invitation = check_invitation(find_invitation(code), user=user, now=now)
    if invitation.direction == InvitationDirection.TO_PATIENT:
        patient, clinician = user, invitation.created_by
    else:
        patient, clinician = invitation.created_by, user
    try:
        with transaction.atomic():
            # Claim first: of two people racing with one code, one wins.
            claimed = Invitation.objects.filter(
                pk=invitation.pk, accepted_at=None, cancelled_at=None
            ).update(accepted_at=now, accepted_by=user)
            if claimed != 1:
                raise CareError(_("This invitation has already been used. Ask for a new one."))
            return CareLink.objects.create(patient=patient, clinician=clinician)
    except IntegrityError as error:  # the one-active-link constraint
        raise CareError(
            _("You are already linked. The invitation was not used; nothing changed.")
        ) from error


def cancel_invitation(*, invitation: Invitation, now: datetime) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, cancelled_at=None).update(
        cancelled_at=now
    )


def open_invitations(user: User, *, now: datetime):
    return Invitation.objects.filter(
        created_by=user, accepted_at=None, cancelled_at=None, expires_at__gt=now
    )


def revoke_link(*, link: CareLink, now: datetime) -> None:
    """Effective on the clinician's next request: every clinician view goes through the link."""
    CareLink.objects.filter(pk=link.pk, revoked_at=None).update(revoked_at=now)


def actor_name(user: User) -> str:
    try:
        profile = user.clinician_profile
    except ClinicianProfile.DoesNotExist:
        return str(user)
    return f"{user} ({profile.specialty}, {profile.institution})"


def record_access(
    *, patient: User | int, actor: User | None, action: AccessAction, now: datetime
) -> None:
    AccessEvent.objects.create(
        patient_id=getattr(patient, "pk", patient),
        actor=actor,
        actor_name=actor_name(actor) if actor else "",  # shown as "someone with your link"
        action=action,
        at=now,
    )


def record_listing(*, patient_ids: list[int], actor: User, now: datetime) -> None:
    """The patients whose summary (treatment, next dose, progress) a clinician's list showed."""
    recent = set(
        AccessEvent.objects.filter(
            patient_id__in=patient_ids,
            actor=actor,
            action=AccessAction.LISTED,
            at__gte=now - LISTING_QUIET,
        ).values_list("patient_id", flat=True)
    )
    name = actor_name(actor)
    AccessEvent.objects.bulk_create(
        AccessEvent(patient_id=pk, actor=actor, actor_name=name, action=AccessAction.LISTED, at=now)
        for pk in patient_ids
        if pk not in recent
    )


def _count(items):
    """How many of `items` (filtered on the outer patient) each patient has, as a column."""
    return Coalesce(
        Subquery(
            items.order_by().values("checklist__patient").annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def patient_summaries(clinician, *, today, query: str = "", show: str = ""):
    """Linked patients with what the table shows, as columns of one query (plus one prefetch)."""
    items = ChecklistItem.objects.filter(checklist__patient=OuterRef("pk"))
    last_injection = (
        Injection.objects.live()
        .filter(treatment__patient=OuterRef("pk"))
        .order_by("-taken_on")
        .values("taken_on")[:1]
    )
    overdue = Treatment.objects.active().filter(patient=OuterRef("pk"), next_dose_on__lt=today)
    rows = linked_patients(clinician).annotate(
        items_total=_count(items),
        items_done=_count(items.filter(done_at__isnull=False)),
        items_verified=_count(items.filter(verified_at__isnull=False)),
        last_injection=Subquery(last_injection),
        overdue=Exists(overdue),
    )
    if query:
        rows = rows.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    if show == "overdue":
        rows = rows.filter(overdue=True)
    elif show == "incomplete":
        rows = rows.filter(items_total__gt=0).exclude(items_verified=F("items_total"))
    # only(): the table shows a name, a drug's INN and brands and a date. A drug row is wide
    # (texts in two languages, JSON lists decoded on load) and a user row carries the password
    # hash; reading them whole for 50 rows took a third of the page's time (BENCHMARKS.md).
    active = (
        Treatment.objects.active()
        .select_related("drug")
        .only("id", "patient_id", "next_dose_on", "drug__id", "drug__inn", "drug__brand_names")
        .order_by("next_dose_on")
    )
    return (
        rows.only("id", "display_name")
        .prefetch_related(Prefetch("treatments", queryset=active, to_attr="active_treatments"))
        .order_by("display_name", "pk")
    )
