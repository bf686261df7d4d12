"""In-app notices: the outbox row is the notice; the reminders page lists it at once."""

from patients.models import Channel
from patients.reminders.channels.base import ReminderChannel


class InAppChannel(ReminderChannel):
    code = Channel.IN_APP
    setting = "in_app"
    delivered_on_write = True


IN_APP = InAppChannel()
