"""Reading suggested to a patient from plain facts about their treatment (no patient model here:
content knows nothing about patients; the dashboard passes the facts)."""

from __future__ import annotations

from content.models import APPLIES_TO_ALL, Article
from therapies.models import DrugClass

BEFORE_FIRST_INJECTION = "before-the-first-prescription"
LIVING_WITH_TREATMENT = "living-with-treatment"
TRAVELLING = "travelling-with-treatment"
CLASS_ARTICLES = {DrugClass.ANTI_IL17: "class-anti-il17"}


def suggested_slugs(
    *, drug_classes: set[str], before_first_injection: bool, trip_planned: bool
) -> list[str]:
    """The slugs worth reading now, most pressing first."""
    slugs = []
    if before_first_injection:
        slugs.append(BEFORE_FIRST_INJECTION)
    slugs += [slug for drug_class, slug in CLASS_ARTICLES.items() if drug_class in drug_classes]
    if trip_planned:
        slugs.append(TRAVELLING)
    slugs.append(LIVING_WITH_TREATMENT)
    return slugs


def suggest_articles(
    *, language: str, drug_classes: set[str], before_first_injection: bool, trip_planned: bool
) -> list[Article]:
    """The published articles among `suggested_slugs`, in that order: one query."""
    slugs = suggested_slugs(
        drug_classes=drug_classes,
        before_first_injection=before_first_injection,
        trip_planned=trip_planned,
    )
    found = {
        article.slug: article
        for article in Article.objects.published(language)
        .filter(slug__in=slugs)
        .only("slug", "language", "title", "summary", "reading_minutes")
    }
    return [found[slug] for slug in slugs if slug in found]


def safety_articles_for(drug, *, language: str) -> list[Article]:
    """The published safety articles that apply to `drug` (a therapies Drug, or anything with
    `inn` and `drug_class`), in reading order: those whose front matter `applies_to` names
    "all", the drug's class or its INN. One query; the therapy page and the dashboard link them.
    """
    return safety_articles_for_drugs([drug], language=language)


def safety_articles_for_drugs(drugs, *, language: str) -> list[Article]:
    """The published safety articles that apply to any of `drugs`, each once, in reading order.

    One query whatever the number of drugs: the articles that name a product are few, so they
    are read once and matched here against every drug's class and INN (the dashboard of a
    patient on several medicines costs the same as with one).
    """
    wanted = {APPLIES_TO_ALL}
    for drug in drugs:
        wanted |= {drug.drug_class, drug.inn}
    articles = (
        Article.objects.published(language)
        .exclude(applies_to=[])
        .only("slug", "language", "title", "summary", "reading_minutes", "order", "applies_to")
    )
    return sorted(
        (article for article in articles if wanted & set(article.applies_to)),
        key=lambda article: (article.order, article.slug),
    )
