from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils import timezone

from patients.care import review_clinician
from patients.models import (
    AccessEvent,
    CareLink,
    ClinicianProfile,
    DoseOverride,
    Injection,
    Reminder,
    ReminderSettings,
    StockDelivery,
    Treatment,
    User,
)
from patients.treatments.reminders import plan_reminders


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "role", "time_zone", "language"]}),
        ("Consent", {"fields": ["health_data_consent_at", "privacy_notice_version"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "display_name", "role", "password1", "password2"]}),
    ]
    readonly_fields = ["health_data_consent_at", "privacy_notice_version"]


class DoseOverrideInline(admin.TabularInline):
    model = DoseOverride
    extra = 0
    raw_id_fields = ["set_by"]


@admin.register(Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = ["patient", "drug", "regimen", "first_dose_on", "stopped_on"]
    list_select_related = ["patient", "drug", "regimen"]
    raw_id_fields = ["patient"]
    readonly_fields = ["next_dose_number", "next_dose_on", "next_reminder_at"]
    inlines = [DoseOverrideInline]

    def save_related(self, request, form, formsets, change) -> None:
        """A moved dose moves its reminders (same transaction as the admin's save)."""
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            plan_reminders(treatment=form.instance, now=timezone.now())


@admin.register(Injection)
class InjectionAdmin(admin.ModelAdmin):
    list_display = ["treatment", "dose_number", "taken_at", "site", "deleted_at"]
    list_select_related = ["treatment__drug", "treatment__patient"]
    raw_id_fields = ["treatment"]


@admin.register(StockDelivery)
class StockDeliveryAdmin(admin.ModelAdmin):
    list_display = ["treatment", "received_on", "devices"]
    raw_id_fields = ["treatment"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The outbox: failed e-mails are listed here (filter by state)."""

    list_display = ["pk", "kind", "channel", "state", "due_at", "attempts", "last_error"]
    list_filter = ["state", "channel", "kind"]
    raw_id_fields = ["patient", "treatment"]
    date_hierarchy = "due_at"
    readonly_fields = ["created_at", "updated_at", "claimed_at", "sent_at"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):
    list_display = ["patient", "hour", "by_email", "in_app", "paused"]
    raw_id_fields = ["patient"]
    exclude = ["calendar_token"]  # a secret: the patient renews it from their page


@admin.register(ClinicianProfile)
class ClinicianProfileAdmin(admin.ModelAdmin):
    """Approve a clinician once their registration number is checked (e.g. in the RPPS)."""

    list_display = ["user", "specialty", "institution", "registration_number", "status"]
    list_filter = ["status"]
    search_fields = ["user__email", "user__display_name", "registration_number"]
    readonly_fields = ["reviewed_at", "reviewed_by"]
    raw_id_fields = ["user"]
    actions = ["approve", "refuse"]

    @admin.action(description="Approve the selected clinicians")
    def approve(self, request, queryset):
        self._review(request, queryset, approve=True)

    @admin.action(description="Refuse the selected clinicians")
    def refuse(self, request, queryset):
        self._review(request, queryset, approve=False)

    def _review(self, request, queryset, *, approve: bool) -> None:
        now = timezone.now()
        for profile in queryset:
            review_clinician(profile=profile, approve=approve, by=request.user, now=now)


@admin.register(CareLink)
class CareLinkAdmin(admin.ModelAdmin):
    list_display = ["patient", "clinician", "created_at", "revoked_at"]
    raw_id_fields = ["patient", "clinician"]


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """The record is evidence: nobody edits it here."""

    list_display = ["at", "patient", "actor_name", "action"]
    list_filter = ["action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
