"""The safety articles (infections, vaccines, pregnancy, surgery, injection technique, side
effects, biosimilars): in both languages, sourced, dated, and found for the drugs they concern."""

import datetime
import re
from types import SimpleNamespace

import pytest
import yaml

from content.loading import ARTICLES_DIR, ContentError
from content.models import Article
from content.suggestions import safety_articles_for
from therapies.models import Drug

LANGUAGES = ("fr", "en")
SAFETY_SLUGS = (
    "infections-and-fever",
    "vaccines",
    "pregnancy-and-breastfeeding",
    "surgery-and-dental-care",
    "injection-technique",
    "side-effects-and-urgent-care",
    "biosimilars",
)
FOR_EVERY_DRUG = set(SAFETY_SLUGS) - {"biosimilars"}
# What a reader must never see in a citation: file names, project notes, editorial flags.
NOT_A_CITATION = re.compile(
    r"\.(md|txt|toml)\b|seed\s*0|document source|source document|therapies\.md|screening\.md"
    r"|\[verify\]|\bverify\b|non vérifié|unverified|TODO|reference/",
    re.IGNORECASE,
)


def front_matter(language: str, slug: str) -> dict:
    text = (ARTICLES_DIR / language / f"{slug}.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---")[1])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("slug", SAFETY_SLUGS)
def test_each_safety_article_exists_with_sources_a_review_date_and_the_products_it_concerns(
    slug, language
):
    meta = front_matter(language, slug)
    assert isinstance(meta["reviewed"], datetime.date)
    assert meta["applies_to"], "a safety article names the products it concerns"
    assert len(meta["sources"]) >= 2
    assert all(source["label"].strip() for source in meta["sources"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_article_source_and_glossary_source_is_a_readable_citation(language):
    for path in sorted((ARTICLES_DIR / language).glob("*.md")):
        meta = front_matter(language, path.stem)
        assert isinstance(meta["reviewed"], datetime.date), path.name
        for source in meta["sources"]:
            assert not NOT_A_CITATION.search(source["label"]), f"{path.name}: {source['label']}"
    glossary = (ARTICLES_DIR.parent / "glossary.toml").read_text(encoding="utf-8")
    for line in glossary.splitlines():
        if line.startswith("source = "):
            assert not NOT_A_CITATION.search(line), line


@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize("slug", SAFETY_SLUGS)
def test_each_safety_article_page_renders_with_its_review_date_and_sources(
    client, real_content, slug, prefix
):
    response = client.get(f"{prefix}/articles/{slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    article = Article.objects.get(slug=slug, language=prefix.strip("/") or "fr")
    assert article.title in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert f'<time datetime="{article.reviewed:%Y-%m-%d}">' in html
    assert 'id="sources"' in html
    assert html.count('rel="noopener"') >= 1  # at least one source with its address


def test_the_tocilizumab_page_facts_are_in_both_languages(client, real_content):
    french = client.get("/articles/infections-and-fever/").content.decode()
    english = client.get("/en/articles/infections-and-fever/").content.decode()
    assert "la fièvre peut manquer" in french
    assert "the fever may not come" in english


@pytest.mark.parametrize("language", LANGUAGES)
def test_safety_articles_for_a_drug_are_those_for_all_its_class_or_its_inn(real_content, language):
    guselkumab = Drug.objects.get(inn="guselkumab")
    tocilizumab = Drug.objects.get(inn="tocilizumab")
    for_guselkumab = safety_articles_for(guselkumab, language=language)
    for_tocilizumab = safety_articles_for(tocilizumab, language=language)
    assert {a.slug for a in for_guselkumab} == FOR_EVERY_DRUG
    assert {a.slug for a in for_tocilizumab} == FOR_EVERY_DRUG | {"biosimilars"}
    assert {a.language for a in for_tocilizumab} == {language}
    orders = [a.order for a in for_tocilizumab]
    assert orders == sorted(orders)


def test_safety_articles_for_matches_a_class_named_in_applies_to(small_content):
    small_content.write_both(
        "il17-only",
        "## Body\n\nText.",
        order=30,
        applies_to=["anti_il17"],
    )
    small_content.load()
    il17 = SimpleNamespace(inn="secukinumab", drug_class="anti_il17")
    il23 = SimpleNamespace(inn="guselkumab", drug_class="anti_il23")
    assert [a.slug for a in safety_articles_for(il17, language="en")] == ["il17-only"]
    assert safety_articles_for(il23, language="en") == []
    Article.objects.filter(slug="il17-only").update(published=False)
    assert safety_articles_for(il17, language="en") == []


def test_the_loader_refuses_an_unknown_applies_to_or_one_that_differs_between_languages(
    db, catalogue, content_dir
):
    content_dir.write_both("one", "## Body", order=1, applies_to=["anti_il99"])
    with pytest.raises(ContentError, match="applies_to names neither all"):
        content_dir.load()
    content_dir.write("fr", "one", "## Body", order=1, applies_to=["all"])
    content_dir.write("en", "one", "## Body", order=1, applies_to=["tocilizumab"])
    with pytest.raises(ContentError, match="applies_to differs"):
        content_dir.load()
