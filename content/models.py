"""Articles and the glossary. Rows come from content/articles/ and content/glossary.toml through
`load_content`; nothing else writes them."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from therapies.localized import Localized
from therapies.models import DrugClass

# `applies_to` front matter names the products a safety article is about: this word (every
# product), a drug class (therapies.models.DrugClass) or an INN.
APPLIES_TO_ALL = "all"


class Kind(models.TextChoices):
    ARTICLE = "article", _("article")
    THERAPY_CLASS = "therapy_class", _("therapy class")


class Section(models.TextChoices):
    """How the article list is grouped (derived by the loader, see loading.section_of)."""

    UNDERSTANDING = "understanding", _("Understanding interleukins")
    TREATMENT = "treatment", _("Living with the treatment")
    CLASSES = "classes", _("The classes of medicines")


class ArticleQuerySet(models.QuerySet):
    def published(self, language: str) -> "ArticleQuerySet":
        return self.filter(published=True, language=language)


class Article(models.Model):
    """One language version of an article (`slug` names both versions)."""

    slug = models.SlugField(max_length=80)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    section = models.CharField(max_length=20, choices=Section.choices)
    therapy_class = models.CharField(max_length=20, choices=DrugClass.choices, blank=True)
    order = models.PositiveSmallIntegerField()
    reading_minutes = models.PositiveSmallIntegerField()
    # Sanitised HTML whose internal links still read term:, article:, page: and figure:; the
    # page resolves them when it is shown (rendering.resolve_links), so a URL added later
    # (the trip planner) needs no reload.
    body_html = models.TextField()
    body_text = models.TextField()  # plain text, for search and snippets
    sources = models.JSONField(default=list)  # [{"label": ..., "url": ...}]
    reviewed = models.DateField()
    related_articles = models.JSONField(default=list)  # slugs
    related_therapies = models.JSONField(default=list)  # INNs
    # Safety articles: the products they are about ("all", drug classes, INNs); see
    # content.suggestions.safety_articles_for.
    applies_to = models.JSONField(default=list, blank=True)
    terms = models.JSONField(default=list)  # glossary slugs linked with term:, in order
    published = models.BooleanField(default=True)
    # SHA-256 of the renderer version and the source file: unchanged, the loader writes nothing.
    content_hash = models.CharField(max_length=64)
    # Filled by the loader on PostgreSQL only (content_french / content_english configurations,
    # accent-insensitive); a GIN index made by migration 0002 serves content.search.
    search_vector = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["language", "order", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "language"], name="article_one_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("content:article", args=[self.slug])


class GlossaryTerm(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    term_fr = models.CharField(max_length=120)
    term_en = models.CharField(max_length=120)
    definition_fr = models.TextField()
    definition_en = models.TextField()
    source = models.CharField(max_length=300)

    term = Localized()
    definition = Localized()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug
