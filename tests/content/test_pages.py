"""Article list, article page, glossary, search, the therapy page's class link."""

import pytest

from content.models import Article

pytestmark = pytest.mark.django_db


def page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_groups_the_articles_of_the_reader_language(client, small_content):
    html = page(client, "/en/articles/")
    understanding = html.index("Understanding interleukins")
    treatment = html.index("Living with the treatment")
    classes = html.index("The classes of medicines")
    assert understanding < html.index("what-are-interleukins (en)") < treatment
    assert treatment < html.index("living-with-treatment (en)") < classes
    assert classes < html.index("class-anti-il17 (en)")
    assert "(fr)" not in html
    assert 'action="/en/search/"' in html and 'data-hx-get="/en/search/"' in html


def test_french_is_the_default_language(client, small_content):
    html = page(client, "/articles/")
    assert 'href="/articles/what-are-interleukins/"' in html and "(en)" not in html


def test_the_article_page_has_everything_the_reader_needs(client, small_content):
    html = page(client, "/en/articles/what-are-interleukins/")
    assert "<h1" in html and "what-are-interleukins (en)" in html
    assert "What you learn." in html
    assert "1 min read" in html
    assert '<time datetime="2026-11-22">22 November 2026</time>' in html
    assert '<a href="https://www.inserm.fr/" rel="noopener">Inserm, « Interleukine »</a>' in html
    assert "Your specialist remains the judge of your treatment." in html
    # the term: its definition is on the page and describes the link
    assert 'aria-describedby="def-cytokine"' in html
    assert '<dd id="def-cytokine">A small messenger protein.</dd>' in html
    # related articles, in their order
    assert html.index('href="/en/articles/living-with-treatment/"') < html.index(
        'href="/en/articles/class-anti-il17/"'
    )
    assert '<img src="/static/img/figures/cytokine-conversation.svg"' in html


def test_related_therapies_link_to_their_pages(client, small_content):
    html = page(client, "/en/articles/living-with-treatment/")
    assert 'href="/en/therapies/guselkumab/"' in html
    assert 'href="/en/therapies/secukinumab/"' in html


def test_an_unknown_or_unpublished_article_answers_404(client, small_content):
    assert client.get("/en/articles/nothing/").status_code == 404
    Article.objects.filter(slug="living-with-treatment").update(published=False)
    assert client.get("/en/articles/living-with-treatment/").status_code == 404


def test_the_glossary_has_an_anchor_per_term(client, small_content):
    html = page(client, "/en/glossary/")
    assert 'id="term-cytokine"' in html and 'id="term-interleukin"' in html
    assert "A small messenger protein." in html
    assert "Une petite protéine messagère." in page(client, "/glossary/")


def test_a_therapy_page_links_the_article_of_its_class(client, small_content):
    html = page(client, "/en/therapies/secukinumab/")
    assert 'href="/en/articles/class-anti-il17/"' in html and "Read about this class" in html
    assert "Read about this class" not in page(client, "/en/therapies/guselkumab/")


def test_a_therapy_page_works_without_any_content(client, catalogue):
    assert "Read about this class" not in page(client, "/en/therapies/secukinumab/")


def test_the_pages_work_without_any_content(client, db):
    assert "not available yet" in page(client, "/en/articles/")
    assert "not available yet" in page(client, "/en/glossary/")
    assert "Nothing matches" in page(client, "/en/search/?q=interleukin")


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/en/articles/", 1),
        ("/en/articles/what-are-interleukins/", 4),  # article, related, drugs, terms
        ("/en/glossary/", 1),
        ("/en/search/?q=interleukin", 2),  # articles, glossary terms
        ("/en/search/?q=", 0),
    ],
)
def test_the_query_count_is_constant(
    client, small_content, url, queries, django_assert_num_queries
):
    with django_assert_num_queries(queries):
        client.get(url)
    small_content.write_both(
        "cytokine-families", "[Interleukins](term:interleukin) again.", order=3,
        related_articles=["living-with-treatment"], related_therapies=["ixekizumab"],
    )  # fmt: skip
    small_content.write_both(
        "what-are-interleukins", "[Interleukin](term:interleukin) [c](term:cytokine)", order=1,
        related_articles=["living-with-treatment", "class-anti-il17", "cytokine-families"],
        related_therapies=["guselkumab", "tildrakizumab"],
    )  # fmt: skip
    small_content.load()
    with django_assert_num_queries(queries):
        client.get(url)


def test_the_admin_lists_the_content_read_only(admin_client, small_content):
    article = Article.objects.get(slug="what-are-interleukins", language="en")
    assert admin_client.get("/en/admin/content/article/").status_code == 200
    html = admin_client.get(f"/en/admin/content/article/{article.pk}/change/").content.decode()
    assert "what-are-interleukins (en)" in html and 'type="submit"' not in html.split("<main")[1]
    assert admin_client.get("/en/admin/content/glossaryterm/").status_code == 200
