"""The interface every reminder channel implements."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from patients.models import Reminder, ReminderSettings


class ReminderChannel:
    """One way a reminder reaches the patient (e-mail, in-app; push would be one more module).

    `setting` names the `ReminderSettings` flag that turns the channel on. A channel that is
    `delivered_on_write` is done when its outbox row exists (the in-app list shows it at once);
    the others are claimed and `send` is called once per row by the delivery engine.
    """

    code: str  # a `Channel` value, stored on the outbox row
    setting: str
    delivered_on_write = False
    errors: tuple[type[Exception], ...] = ()  # what `send` may raise that is recorded, not a bug
    # prefetch_related paths `send` reads, fetched once for the delivery batch.
    prefetch: tuple[str, ...] = ()

    def wanted(self, prefs: ReminderSettings) -> bool:
        return bool(getattr(prefs, self.setting))

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        """One connection for a batch of sends (nothing by default)."""
        yield None

    def send(self, reminder: Reminder, *, template: str, context: dict, session) -> None:
        raise NotImplementedError(f"{self.code} reminders are delivered on write")

    def is_transient(self, error: Exception) -> bool:
        return False

    def describe(self, error: Exception) -> str:
        return type(error).__name__[:200]
