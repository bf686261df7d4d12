from patients.models.reminders import Channel, Kind, Reminder, ReminderSettings, State
from patients.models.treatments import (
    DoseOverride,
    Injection,
    InjectionSite,
    Reaction,
    StockDelivery,
    Treatment,
)
from patients.models.users import Role, User

__all__ = [
    "Channel",
    "Kind",
    "Reminder",
    "ReminderSettings",
    "State",
    "DoseOverride",
    "Injection",
    "InjectionSite",
    "Reaction",
    "Role",
    "StockDelivery",
    "Treatment",
    "User",
]
