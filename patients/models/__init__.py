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
    "DoseOverride",
    "Injection",
    "InjectionSite",
    "Reaction",
    "Role",
    "StockDelivery",
    "Treatment",
    "User",
]
