from django.contrib import admin

from therapies.models import Caution, Drug, Regimen, StorageRule


class RegimenInline(admin.StackedInline):
    model = Regimen
    extra = 0


class CautionInline(admin.TabularInline):
    model = Caution
    extra = 0


class StorageInline(admin.StackedInline):
    model = StorageRule


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    """Read for reference: the catalogue files are the source of truth (load_catalogue)."""

    list_display = ["inn", "brands", "target", "drug_class"]
    inlines = [RegimenInline, StorageInline, CautionInline]
