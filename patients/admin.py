from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from patients.models import DoseOverride, Injection, StockDelivery, Treatment, User


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
    inlines = [DoseOverrideInline]


@admin.register(Injection)
class InjectionAdmin(admin.ModelAdmin):
    list_display = ["treatment", "dose_number", "taken_at", "site", "deleted_at"]
    list_select_related = ["treatment__drug", "treatment__patient"]
    raw_id_fields = ["treatment"]


@admin.register(StockDelivery)
class StockDeliveryAdmin(admin.ModelAdmin):
    list_display = ["treatment", "received_on", "devices"]
    raw_id_fields = ["treatment"]
