"""The channels a reminder can go through, each one module behind `base.ReminderChannel`.

A new channel (push) is a module with a `ReminderChannel` subclass, its `Channel` choice, its
`ReminderSettings` flag, and one entry here.
"""

from patients.reminders.channels.base import ReminderChannel
from patients.reminders.channels.email import EMAIL
from patients.reminders.channels.in_app import IN_APP
from patients.reminders.channels.push import PUSH

CHANNELS: dict[str, ReminderChannel] = {channel.code: channel for channel in (EMAIL, IN_APP, PUSH)}


def channel(code: str) -> ReminderChannel:
    return CHANNELS[code]
