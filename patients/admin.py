from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.utils import timezone

from patients.care import record_access, record_listing, review_clinician
from patients.models import (
    AccessAction,
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


class RecordsPatientReading:
    """Staff reading a patient's health data here is in that patient's access record, as a
    clinician's reading is (issue 17, item 10): a change page records "viewed your treatment
    and history", a list records "saw your treatment summary in their list" for each patient
    on the page (at most once an hour per patient, as for clinicians)."""

    patient_path = "patient"

    def patient_id_of(self, obj) -> int | None:
        for part in self.patient_path.split("__")[:-1]:
            obj = getattr(obj, part, None)
        return getattr(obj, self.patient_path.split("__")[-1] + "_id", None)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            patient_id = self.patient_id_of(obj)
            if patient_id is not None:
                record_access(
                    patient=patient_id,
                    actor=request.user,
                    action=AccessAction.VIEWED_RECORD,
                    now=timezone.now(),
                )
        return obj

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            ids = {self.patient_id_of(obj) for obj in changelist.result_list}
            ids.discard(None)
            if ids:
                record_listing(patient_ids=sorted(ids), actor=request.user, now=timezone.now())
        return response


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
class TreatmentAdmin(RecordsPatientReading, admin.ModelAdmin):
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
class InjectionAdmin(RecordsPatientReading, admin.ModelAdmin):
    patient_path = "treatment__patient"

    list_display = ["treatment", "dose_number", "taken_at", "site", "deleted_at"]
    list_select_related = ["treatment__drug", "treatment__patient"]
    raw_id_fields = ["treatment"]


@admin.register(StockDelivery)
class StockDeliveryAdmin(RecordsPatientReading, admin.ModelAdmin):
    patient_path = "treatment__patient"

    list_display = ["treatment", "received_on", "devices"]
    raw_id_fields = ["treatment"]


@admin.register(Reminder)
class ReminderAdmin(RecordsPatientReading, admin.ModelAdmin):
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

    list_display = [
        "user",
        "specialty",
        "institution",
        "registration_number",
        "status",
        "email_confirmed",
    ]
    list_filter = ["status"]
    search_fields = ["user__email", "user__display_name", "registration_number"]
    readonly_fields = ["reviewed_at", "reviewed_by"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    actions = ["approve", "refuse"]

    @admin.display(boolean=True, description="E-mail confirmed")
    def email_confirmed(self, profile) -> bool:
        """A sign-up waits for its e-mailed link; one never confirmed is deleted after
        SIGNUP_CONFIRMATION_DAYS: no need to check its registration number before."""
        return profile.user.email_confirmed_at is not None

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
class CareLinkAdmin(RecordsPatientReading, admin.ModelAdmin):
    list_display = ["patient", "clinician", "created_at", "revoked_at"]
    raw_id_fields = ["patient", "clinician"]


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """The record is evidence: append-only here, even for superusers (no add, change or
    delete permission, hence no delete action either)."""

    list_display = ["at", "patient", "actor_name", "action"]
    list_filter = ["action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
