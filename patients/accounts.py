"""Account-level actions."""

from django.db import transaction

from patients.models import User


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Erase the person and, by cascade, their treatments, injections, stock and overrides."""
    user.delete()
