from patients.models.care import (
    AccessAction,
    AccessEvent,
    CareLink,
    ClinicianProfile,
    ClinicianStatus,
    Invitation,
    InvitationDirection,
)
from patients.models.checklists import (
    Checklist,
    ChecklistAction,
    ChecklistEvent,
    ChecklistItem,
    ChecklistShareLink,
    Result,
)
from patients.models.reminders import Channel, Kind, Reminder, ReminderSettings, State
from patients.models.travel import Letter, LetterKind, Means, Trip
from patients.models.treatments import (
    DoseOverride,
    Injection,
    InjectionSite,
    Reaction,
    StockDelivery,
    Treatment,
)
from patients.models.users import Role, User
from patients.models.visits import VisitPreparation

__all__ = [
    "AccessAction",
    "AccessEvent",
    "CareLink",
    "Checklist",
    "ChecklistAction",
    "ChecklistEvent",
    "ChecklistItem",
    "ChecklistShareLink",
    "ClinicianProfile",
    "ClinicianStatus",
    "Invitation",
    "InvitationDirection",
    "Result",
    "Channel",
    "Kind",
    "Reminder",
    "ReminderSettings",
    "State",
    "DoseOverride",
    "Injection",
    "InjectionSite",
    "Reaction",
    "Letter",
    "LetterKind",
    "Means",
    "Role",
    "Trip",
    "StockDelivery",
    "Treatment",
    "User",
    "VisitPreparation",
]
