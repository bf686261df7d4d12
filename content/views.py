from functools import cached_property
from itertools import groupby

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import condition, require_GET
from django.views.decorators.vary import vary_on_headers

from config.http import HtmxHttpRequest
from content import caching
from content import search as content_search
from content.models import Article, GlossaryTerm, Section
from content.rendering import resolve_links
from therapies.models import Drug


def _language() -> str:
    return (get_language() or "fr")[:2]


@require_GET
def article_list(request: HtmxHttpRequest) -> HttpResponse:
    articles = Article.objects.published(_language()).only(
        "slug", "language", "title", "summary", "section", "reading_minutes", "order"
    )
    order = list(Section.values)
    articles = sorted(articles, key=lambda a: (order.index(a.section), a.order, a.slug))
    sections = [
        (Section(section).label, section, list(members))
        for section, members in groupby(articles, key=lambda a: a.section)
    ]
    return render(request, "content/article_list.html", {"sections": sections})


def _article(request: HtmxHttpRequest, slug: str) -> Article | None:
    """The published article in the reader's language, read once per request (by the ETag,
    then by the view). Its plain text and search vector are never shown."""
    if not hasattr(request, "_content_article"):
        request._content_article = (
            Article.objects.published(_language())
            .defer("body_text", "search_vector")
            .filter(slug=slug)
            .first()
        )
    return request._content_article


def _article_etag(request: HtmxHttpRequest, slug: str) -> str | None:
    article = _article(request, slug)
    if article is None:
        return None
    return caching.anonymous_etag(request, article, _language())


class _ArticleBody:
    """What only the cached fragment shows: read when the fragment is rendered, not before,
    so a cached article costs one query (the article row, for its title and version)."""

    def __init__(self, article: Article, language: str):
        self.article = article
        self.language = language

    @cached_property
    def html(self):
        # Sanitised by the loader; only the app's own link schemes are rewritten here.
        return mark_safe(resolve_links(self.article.body_html))

    @cached_property
    def related_articles(self) -> list[Article]:
        slugs = self.article.related_articles
        related = {
            a.slug: a
            for a in Article.objects.published(self.language)
            .filter(slug__in=slugs)
            .only("slug", "language", "title")
        }
        return [related[s] for s in slugs if s in related]

    @cached_property
    def related_therapies(self) -> list[Drug]:
        inns = self.article.related_therapies
        drugs = {d.inn: d for d in Drug.objects.filter(inn__in=inns).only("inn", "brand_names")}
        return [drugs[i] for i in inns if i in drugs]

    @cached_property
    def terms(self) -> list[GlossaryTerm]:
        slugs = self.article.terms
        terms = {t.slug: t for t in GlossaryTerm.objects.filter(slug__in=slugs)}
        return [terms[s] for s in slugs if s in terms]


@require_GET
@condition(etag_func=_article_etag)
def article_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The article body is a cached fragment (per language, keyed on the content's version);
    the page around it is rendered for each reader. Signed-out readers get an ETag."""
    language = _language()
    article = _article(request, slug)
    if article is None:
        raise Http404("No such article.")
    context = {
        "article": article,
        "body": _ArticleBody(article, language),
        "language": language,
        "fragment_version": caching.fragment_version(article),
        "fragment_seconds": caching.FRAGMENT_SECONDS,
    }
    response = render(request, "content/article_detail.html", context)
    if not request.user.is_authenticated:
        # Browsers ask again each time (and get a 304 while nothing changed); shared caches keep
        # nothing, since the page holds the reader's CSRF token.
        patch_cache_control(response, private=True, no_cache=True)
    return response


@require_GET
def glossary(request: HtmxHttpRequest) -> HttpResponse:
    terms = sorted(GlossaryTerm.objects.all(), key=lambda t: content_search.fold(t.term))
    return render(request, "content/glossary.html", {"terms": terms})


@require_GET
@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = content_search.search(query, language=_language()) if query.strip() else None
    context = {"query": query[: content_search.MAX_QUERY_LENGTH], "results": results}
    if request.htmx:
        return render(request, "content/search.html#results", context)
    return render(request, "content/search.html", context)
