from django.contrib import admin

from content.models import Article, GlossaryTerm


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read for reference: the files under content/ are the source of truth (load_content)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["slug", "language", "title", "section", "order", "reviewed", "published"]
    list_filter = ["language", "section", "published"]
    search_fields = ["slug", "title"]
    exclude = ["search_vector"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(ReadOnlyAdmin):
    list_display = ["slug", "term_fr", "term_en"]
    search_fields = ["slug", "term_fr", "term_en"]
