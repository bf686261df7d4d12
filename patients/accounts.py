"""Account-level actions."""

from patients import privacy
from patients.models import User


def delete_account(*, user: User) -> None:
    """Erase the person and all their data; the access record keeps a pseudonym of them
    (patients.privacy.erase_account says what goes and what stays)."""
    privacy.erase_account(user=user)
