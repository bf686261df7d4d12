from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils import timezone

from patients.models import (
    DoseOverride,
    Injection,
    Reminder,
    ReminderSettings,
    StockDelivery,
    Treatment,
    User,
)
from patients.reminders import plan_reminders


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
