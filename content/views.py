from itertools import groupby

from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from content import search as content_search
from content.models import Article, GlossaryTerm, Section
from content.rendering import resolve_links
from therapies.models import Drug


def _language() -> str:
    return (get_language() or "fr")[:2]


@require_GET
def article_list(request):
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


@require_GET
def article_detail(request, slug: str):
    language = _language()
    article = get_object_or_404(Article.objects.published(language), slug=slug)
    related = {
        a.slug: a
        for a in Article.objects.published(language)
        .filter(slug__in=article.related_articles)
        .only("slug", "language", "title")
    }
    drugs = {d.inn: d for d in Drug.objects.filter(inn__in=article.related_therapies)}
    terms = {t.slug: t for t in GlossaryTerm.objects.filter(slug__in=article.terms)}
    context = {
        "article": article,
        # Sanitised by the loader; only the app's own link schemes are rewritten here.
        "body": mark_safe(resolve_links(article.body_html)),
        "related_articles": [related[s] for s in article.related_articles if s in related],
        "related_therapies": [drugs[i] for i in article.related_therapies if i in drugs],
        "terms": [terms[s] for s in article.terms if s in terms],
    }
    return render(request, "content/article_detail.html", context)


@require_GET
def glossary(request):
    terms = sorted(GlossaryTerm.objects.all(), key=lambda t: content_search.fold(t.term))
    return render(request, "content/glossary.html", {"terms": terms})


@require_GET
@vary_on_headers("HX-Request")
def search(request):
    query = request.GET.get("q", "")
    results = content_search.search(query, language=_language()) if query.strip() else None
    context = {"query": query[: content_search.MAX_QUERY_LENGTH], "results": results}
    if request.htmx:
        return render(request, "content/search.html#results", context)
    return render(request, "content/search.html", context)
