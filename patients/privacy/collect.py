"""Everything stored about one person, fetched in a fixed number of queries for the export."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from axes.models import AccessAttempt, AccessLog
from django.db.models import Prefetch
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from patients.models import (
    LEAD_DAY_CHOICES,
    AccessEvent,
    CareLink,
    Checklist,
    ChecklistEvent,
    ChecklistItem,
    ChecklistShareLink,
    ClinicianProfile,
    DoseOverride,
    Injection,
    Invitation,
    Letter,
    PushSubscription,
    Reminder,
    ReminderSettings,
    StockDelivery,
    Treatment,
    Trip,
    User,
    VisitPreparation,
)
from patients.models.users import canonical_email


@dataclass
class PersonData:
    """Everything stored about one person, fetched once; treatments carry their own rows."""

    user: User
    now: datetime
    profile: ClinicianProfile | None = None
    treatments: list[Treatment] = field(default_factory=list)
    reminder_settings: ReminderSettings | None = None
    reminders: list[Reminder] = field(default_factory=list)
    care_links: list[CareLink] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    checklists: list[Checklist] = field(default_factory=list)
    trips: list[Trip] = field(default_factory=list)
    access_events: list[AccessEvent] = field(default_factory=list)
    login_records: list[AccessLog] = field(default_factory=list)
    failed_logins: list[AccessAttempt] = field(default_factory=list)
    authenticator: bool = False
    recovery_codes_left: int = 0
    visit_preparation: VisitPreparation | None = None
    push_devices: list[PushSubscription] = field(default_factory=list)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self.user.zone

    @property
    def lead_day_labels(self) -> list[str]:
        """The reminder lead days as the settings form names them ("The day before")."""
        names = dict(LEAD_DAY_CHOICES)
        lead_days = self.reminder_settings.lead_days if self.reminder_settings else []
        return [str(names.get(days, days)) for days in lead_days]


def collect(*, user: User, now: datetime) -> PersonData:
    """A fixed number of queries: one per kind of row, never one per treatment or trip."""
    data = PersonData(user=user, now=now)
    # Log-in records are everyone's (issue 17, item 9), under the spelling axes keeps.
    username = canonical_email(user.email)
    data.login_records = list(AccessLog.objects.filter(username=username).order_by("attempt_time"))
    data.failed_logins = list(
        AccessAttempt.objects.filter(username=username).order_by("attempt_time")
    )
    data.authenticator = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    data.recovery_codes_left = StaticToken.objects.filter(device__user=user).count()
    if user.is_clinician:
        data.profile = ClinicianProfile.objects.filter(user=user).first()
        data.invitations = list(Invitation.objects.filter(created_by=user).order_by("created_at"))
        return data
    data.treatments = list(
        Treatment.objects.filter(patient=user)
        .select_related("drug", "regimen")
        .prefetch_related(
            Prefetch(
                "injections",
                queryset=Injection.objects.select_related("pack").order_by("taken_at", "pk"),
            ),
            Prefetch(
                "stock_deliveries", queryset=StockDelivery.objects.order_by("received_on", "pk")
            ),
            Prefetch("overrides", queryset=DoseOverride.objects.order_by("dose_number")),
        )
        .order_by("created_at", "pk")
    )
    data.reminder_settings = ReminderSettings.objects.filter(patient=user).first()
    data.reminders = list(Reminder.objects.filter(patient=user).order_by("due_at", "pk"))
    data.care_links = list(
        CareLink.objects.filter(patient=user)
        .select_related("clinician__clinician_profile")
        .order_by("created_at", "pk")
    )
    data.invitations = list(Invitation.objects.filter(created_by=user).order_by("created_at"))
    data.checklists = list(
        Checklist.objects.filter(patient=user)  # drafts too: they are about the patient
        .select_related("drug")
        .prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position", "pk")),
            Prefetch("events", queryset=ChecklistEvent.objects.order_by("at", "pk")),
            Prefetch(
                "share_links", queryset=ChecklistShareLink.objects.order_by("created_at", "pk")
            ),
        )
        .order_by("created_at", "pk")
    )
    data.trips = list(
        Trip.objects.filter(patient=user)
        .prefetch_related(Prefetch("letters", queryset=Letter.objects.order_by("approved_at")))
        .order_by("departs_on", "pk")
    )
    data.access_events = list(AccessEvent.objects.filter(patient=user).order_by("at", "pk"))
    data.visit_preparation = VisitPreparation.objects.filter(patient=user).first()
    data.push_devices = list(PushSubscription.objects.filter(patient=user).order_by("created_at"))
    return data
