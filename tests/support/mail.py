"""Mail backends for the reminder tests; importable by a worker in another process (by the
dotted paths tests.support.FlakyBackend and tests.support.StallingFileBackend)."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class FlakyBackend(BaseEmailBackend):
    """A mail server that answers every message with `error`."""

    error: Exception = smtplib.SMTPServerDisconnected("gone")

    def send_messages(self, messages):
        raise type(self).error


class StallingFileBackend(BaseEmailBackend):
    """Writes each message to $MAIL_DIR; while $MAIL_DIR/stall exists, announces itself in
    $MAIL_DIR/stalled and hangs before sending, so a test can kill the worker mid-delivery."""

    def send_messages(self, messages):
        folder = Path(os.environ["MAIL_DIR"])
        if (folder / "stall").exists():
            (folder / "stalled").touch()
            while True:
                time.sleep(1)
        for message in messages:
            name = f"{time.monotonic_ns()}-{os.getpid()}.eml"
            (folder / name).write_bytes(message.message().as_bytes())
        return len(messages)
