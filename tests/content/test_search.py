"""Search: PostgreSQL full-text search when DATABASE_URL is PostgreSQL, the Python fallback on
SQLite; the same expectations for both."""

import pytest
from django.db import connection

from content.search import fold, search

pytestmark = pytest.mark.django_db


def slugs(query: str, language: str) -> list[str]:
    return [hit.slug for hit in search(query, language=language).articles]


def test_the_backend_under_test_is_the_configured_one(db):
    assert connection.vendor in {"postgresql", "sqlite"}


def test_folding_drops_accents_and_case():
    assert fold("Interleukines ÉLEVÉES, réaction") == "interleukines elevees, reaction"


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("interleukine", "fr", "what-are-interleukins"),
        ("INTERLEUKINES", "fr", "what-are-interleukins"),
        ("cytokine", "en", "what-are-interleukins"),
        ("Th17", "en", "what-are-interleukins"),
        ("voyage", "fr", "living-with-treatment"),
        ("travel", "en", "living-with-treatment"),
        ("interl", "en", "what-are-interleukins"),  # while the word is being typed
    ],
)
def test_it_finds_the_article_whatever_the_accents_and_case(
    small_content, query, language, expected
):
    assert expected in slugs(query, language)


def test_it_searches_the_reader_language_only(small_content):
    hits = search("interleukins", language="en").articles
    assert hits and all(hit.title.endswith("(en)") for hit in hits)


def test_every_word_must_match(small_content):
    assert slugs("cytokine travel", "en") == []


def test_a_title_hit_ranks_above_a_body_hit(small_content):
    small_content.write_both("cytokines-network", "Nothing about it.", order=2, title="Cytokines")
    small_content.load()
    assert slugs("cytokines", "en")[0] == "cytokines-network"


def test_the_snippet_marks_the_words_found_and_escapes_the_text(small_content):
    small_content.write_both("dose-article", "Keep the dose < 5 cm & interleukins.", order=3)
    small_content.load()
    [hit] = [h for h in search("interleukins", language="en").articles if h.slug == "dose-article"]
    assert "<mark>interleukins</mark>" in hit.snippet
    assert "&lt; 5 cm &amp; <mark>" in hit.snippet


def test_glossary_terms_are_found_too(small_content):
    assert [t.slug for t in search("messenger", language="en").terms] == ["cytokine"]
    assert [t.slug for t in search("messagère", language="fr").terms] == ["cytokine"]


@pytest.mark.parametrize("query", ["", "   ", "a", "!!!", "&:*|()'", "le de la"])
def test_empty_or_meaningless_queries_find_nothing_without_error(small_content, query):
    assert search(query, language="fr").articles == []


def test_a_very_long_query_is_refused_politely(small_content):
    results = search("interleukine " * 100, language="fr")
    assert results.too_long and results.articles == []


# --- The page ---------------------------------------------------------------------------------


def test_the_search_page_works_without_javascript(client, small_content):
    html = client.get("/en/search/", {"q": "interleukin"}).content.decode()
    assert "<html" in html and 'name="q" value="interleukin"' in html
    assert 'href="/en/articles/what-are-interleukins/"' in html
    assert "result" in html


def test_htmx_gets_the_results_fragment_only(client, small_content):
    response = client.get("/en/search/", {"q": "interleukin"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert 'href="/en/articles/what-are-interleukins/"' in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", ""),
        ("x", "Type a word of two letters or more."),
        ("zzzzzz", "Nothing matches"),
        ("interleukine " * 100, "This search is too long."),
        ("<script>alert(1)</script>", "Nothing matches"),
        ("a_b 日本語 ß l'interleukine:* & !", "Nothing matches"),
        ("\x00interleukin", "result"),
    ],
)
def test_bad_input_gets_a_clear_answer_never_an_error(client, small_content, query, message):
    response = client.get("/en/search/", {"q": query})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "<script>alert" not in html


def test_the_live_search_field_keeps_a_plain_form(client, small_content):
    html = client.get("/en/search/").content.decode()
    assert 'method="get" action="/en/search/"' in html
    assert 'data-hx-trigger="input changed delay:300ms, search"' in html
    assert 'data-hx-target="#search-results"' in html
