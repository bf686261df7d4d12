"""Read-only share links of a checklist: for a lab or a doctor without an account, expiring,
revocable, and each opening written in the patient's access record."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patients.checklists import SHARE_LINK_DAYS, ChecklistError
from patients.models import (
    Checklist,
    ChecklistShareLink,
    User,
)
from patients.models.care import digest

REMIND_EVERY = timedelta(weeks=1)


@transaction.atomic
def create_share_link(
    *, checklist: Checklist, days: int, actor: User, now: datetime
) -> tuple[ChecklistShareLink, str]:
    """A link for someone without an account; only its digest is stored. One open at a time."""
    if days not in SHARE_LINK_DAYS:
        raise ChecklistError(_("Choose how long the link stays valid."))
    revoke_share_links(checklist=checklist, now=now)
    token = secrets.token_urlsafe(32)
    link = ChecklistShareLink.objects.create(
        checklist=checklist,
        token_digest=digest(token),
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    return link, token


def revoke_share_links(*, checklist: Checklist, now: datetime) -> None:
    checklist.share_links.filter(revoked_at=None).update(revoked_at=now)


def open_share_link(checklist: Checklist, now: datetime) -> ChecklistShareLink | None:
    return checklist.share_links.open(now).first()


def checklist_from_share_token(token: str, *, now: datetime) -> Checklist | None:
    link = (
        ChecklistShareLink.objects.open(now)
        .filter(token_digest=digest(token))
        .select_related("checklist")
        .first()
    )
    return link.checklist if link else None
