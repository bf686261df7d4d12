from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.functional import SimpleLazyObject

from patients.models import Channel, Reminder, State


@dataclass(frozen=True)
class Badge:
    unread: int  # in-app notifications not seen yet
    failed: int  # e-mails we could not send, not seen yet


def reminder_badge(request) -> dict:
    """The header's unread count and the failed e-mails, in one query, only when shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}

    def count() -> Badge:
        unseen = Reminder.objects.filter(patient=user, read_at__isnull=True)
        totals = unseen.aggregate(
            unread=Count("pk", filter=Q(channel=Channel.IN_APP, state=State.SENT)),
            failed=Count("pk", filter=Q(channel=Channel.EMAIL, state=State.FAILED)),
        )
        return Badge(**totals)

    return {"reminder_badge": SimpleLazyObject(count)}
