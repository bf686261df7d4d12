"""load_content: idempotent; edits update, removals unpublish; each rule names the file."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from content.loading import ContentError, load_content
from content.models import Article, GlossaryTerm, Section

pytestmark = pytest.mark.django_db


def test_it_loads_both_languages_of_every_article_and_the_glossary(small_content):
    assert Article.objects.filter(published=True).count() == 6
    assert set(GlossaryTerm.objects.values_list("slug", flat=True)) == {"cytokine", "interleukin"}
    article = Article.objects.get(slug="what-are-interleukins", language="fr")
    assert article.title == "what-are-interleukins (fr)"
    assert article.section == Section.UNDERSTANDING
    assert article.terms == ["cytokine"]
    assert article.reading_minutes == 1
    assert article.sources == [
        {"label": "Inserm, « Interleukine »", "url": "https://www.inserm.fr/"}
    ]
    assert "Interleukines" in article.body_text
    assert Article.objects.get(slug="class-anti-il17", language="en").section == Section.CLASSES


def test_loading_twice_writes_nothing_the_second_time(small_content, django_assert_max_num_queries):
    before = {a.pk: a.updated_at for a in Article.objects.all()}
    report = small_content.load()
    assert report.created == report.updated == report.unpublished == []
    assert len(report.unchanged) == 6
    assert {a.pk: a.updated_at for a in Article.objects.all()} == before


def test_an_edited_file_updates_its_row_only(small_content):
    small_content.write(
        "en", "living-with-treatment", "## Changed\n\nNew words.", order=8,
        related_therapies=["guselkumab", "secukinumab"], title="Living well",
    )  # fmt: skip
    report = small_content.load()
    assert report.updated == ["en/living-with-treatment"]
    article = Article.objects.get(slug="living-with-treatment", language="en")
    assert article.title == "Living well" and "New words." in article.body_text


def test_a_removed_article_is_unpublished_and_comes_back_when_restored(small_content):
    saved = {
        lang: small_content.path(lang, "living-with-treatment").read_text() for lang in ["fr", "en"]
    }
    small_content.write_both("what-are-interleukins", "Shorter.", order=1)
    for language in ("fr", "en"):
        small_content.path(language, "living-with-treatment").unlink()
    report = small_content.load()
    assert sorted(report.unpublished) == ["en/living-with-treatment", "fr/living-with-treatment"]
    assert not Article.objects.filter(slug="living-with-treatment", published=True).exists()
    for language, text in saved.items():
        small_content.path(language, "living-with-treatment").write_text(text)
    small_content.load()
    assert Article.objects.filter(slug="living-with-treatment", published=True).count() == 2


def test_a_removed_glossary_term_is_deleted(small_content):
    small_content.write_both("what-are-interleukins", "No links now.", order=1)
    small_content.write_both("living-with-treatment", "No links either.", order=8)
    small_content.glossary.write_text(
        small_content.glossary.read_text().split("[[terms]]")[0]
        + "[[terms]]"
        + small_content.glossary.read_text().split("[[terms]]")[1]
    )
    small_content.load()
    assert list(GlossaryTerm.objects.values_list("slug", flat=True)) == ["cytokine"]


def test_the_command_reports_what_it_did(small_content, capsys, settings, monkeypatch):
    monkeypatch.setattr("content.loading.ARTICLES_DIR", small_content.articles)
    monkeypatch.setattr(
        "content.management.commands.load_content.load_content",
        lambda: load_content(small_content.articles, small_content.glossary),
    )
    call_command("load_content")
    assert "0 created, 0 updated, 6 unchanged, 0 unpublished; 2 glossary terms" in (
        capsys.readouterr().out
    )


def test_the_command_fails_with_the_file_name(content_dir, db, monkeypatch):
    content_dir.write("fr", "lonely")
    monkeypatch.setattr(
        "content.management.commands.load_content.load_content",
        lambda: load_content(content_dir.articles, content_dir.glossary),
    )
    with pytest.raises(CommandError, match=r"articles/fr/lonely.md: no en version"):
        call_command("load_content")


# Each rule of content/FORMAT.md: (what to write, the file and words the error must name).
def _missing_english(c):
    c.write("fr", "only-french", order=1)


def _different_order(c):
    c.write("fr", "a", order=1)
    c.write("en", "a", order=2)


def _different_related(c):
    c.write_both("b", order=2)
    c.write("fr", "a", order=1, related_articles=["b"])
    c.write("en", "a", order=1)


def _no_source(c):
    c.write_both("a", order=1, sources=[])


def _source_without_label(c):
    c.write_both("a", order=1, sources=[{"url": "https://example.org/"}])


def _unknown_related_article(c):
    c.write_both("a", order=1, related_articles=["nowhere"])


def _unknown_related_therapy(c):
    c.write_both("a", order=1, related_therapies=["aspirin"])


def _unknown_term(c):
    c.write_both("a", "The [thing](term:nothing).", order=1)


def _term_linked_twice(c):
    c.write_both("a", "[Cytokines](term:cytokine) and [cytokines](term:cytokine).", order=1)


def _unknown_article_link(c):
    c.write_both("a", "[Next](article:nowhere).", order=1)


def _unknown_page(c):
    c.write_both("a", "[Somewhere](page:somewhere).", order=1)


def _unknown_therapy_page(c):
    c.write_both("a", "[Aspirin](page:therapy:aspirin).", order=1)


def _unknown_figure(c):
    c.write_both("a", "![A figure that does not exist.](figure:nothing)", order=1)


def _figure_without_alternative(c):
    c.write_both("a", "![](figure:il23-th17-axis)", order=1)


def _external_image(c):
    c.write_both("a", "![A photo.](https://example.org/photo.png)", order=1)


def _raw_html(c):
    c.write_both("a", "Text <span>with HTML</span>.", order=1)


def _raw_html_block(c):
    c.write_both("a", "<div>\nA block\n</div>", order=1)


def _top_level_heading(c):
    c.write_both("a", "# A second title\n\nText.", order=1)


def _unknown_kind(c):
    c.write_both("a", order=1, kind="essay")


def _class_article_without_class(c):
    c.write_both("a", order=1, kind="therapy_class", therapy_class="")


def _article_with_a_class(c):
    c.write_both("a", order=1, therapy_class="anti_il17")


def _missing_title(c):
    path = c.write("en", "a", order=1)
    path.write_text(path.read_text().replace("title:", "heading:"))
    c.write("fr", "a", order=1)


def _bad_date(c):
    c.write_both("a", order=1, reviewed="last week")


def _no_front_matter(c):
    c.write("fr", "a", order=1)
    c.path("en", "a").write_text("# Just a title\n")


def _bad_yaml(c):
    c.write("fr", "a", order=1)
    c.path("en", "a").write_text("---\ntitle: [unclosed\n---\nBody\n")


def _bad_slug(c):
    c.write_both("Not_A_Slug", order=1)


def _two_articles_for_one_class(c):
    c.write_both("a", order=1, kind="therapy_class", therapy_class="anti_il17")
    c.write_both("b", order=2, kind="therapy_class", therapy_class="anti_il17")


RULES = [
    (_missing_english, "articles/fr/only-french.md", "no en version"),
    (_different_order, "articles/en/a.md", "order differs"),
    (_different_related, "articles/en/a.md", "related_articles differs"),
    (_no_source, "articles/fr/a.md", "at least one source"),
    (_source_without_label, "articles/fr/a.md", "needs a label"),
    (_unknown_related_article, "articles/fr/a.md", "related_articles names no article: nowhere"),
    (_unknown_related_therapy, "articles/en/a.md", "no drug of the catalogue: aspirin"),
    (_unknown_term, "articles/fr/a.md", "term:nothing is not in the glossary"),
    (_term_linked_twice, "articles/en/a.md", "term:cytokine is linked twice"),
    (_unknown_article_link, "articles/fr/a.md", "article:nowhere names no article"),
    (_unknown_page, "articles/fr/a.md", "unknown page 'somewhere'"),
    (_unknown_therapy_page, "articles/fr/a.md", "page:therapy:aspirin names no drug"),
    (_unknown_figure, "articles/fr/a.md", "unknown figure 'nothing'"),
    (_figure_without_alternative, "articles/fr/a.md", "needs a text alternative"),
    (_external_image, "articles/fr/a.md", "images must be project figures"),
    (_raw_html, "articles/fr/a.md", "raw HTML is not allowed"),
    (_raw_html_block, "articles/en/a.md", "raw HTML is not allowed"),
    (_top_level_heading, "articles/fr/a.md", "headings start at ##"),
    (_unknown_kind, "articles/fr/a.md", "kind must be one of"),
    (_class_article_without_class, "articles/fr/a.md", "therapy_class must be one of"),
    (_article_with_a_class, "articles/fr/a.md", "therapy_class is only for kind: therapy_class"),
    (_missing_title, "articles/en/a.md", "missing front matter keys ['title']"),
    (_bad_date, "articles/fr/a.md", "reviewed must be a date"),
    (_no_front_matter, "articles/en/a.md", "must start with front matter"),
    (_bad_yaml, "articles/en/a.md", "not valid YAML"),
    (_bad_slug, "articles/fr/Not_A_Slug.md", "kebab-case"),
    (_two_articles_for_one_class, "articles/fr/b.md", "already covers anti_il17"),
]


@pytest.mark.parametrize(("write", "file", "words"), RULES, ids=[r[0].__name__[1:] for r in RULES])
def test_each_rule_fails_naming_the_file_and_writes_nothing(
    catalogue, content_dir, write, file, words
):
    content_dir.write_both("fine", order=9)
    write(content_dir)
    with pytest.raises(ContentError) as error:
        content_dir.load()
    assert any(file in line and words in line for line in str(error.value).splitlines()), str(
        error.value
    )
    assert not Article.objects.exists() and not GlossaryTerm.objects.exists()


@pytest.mark.parametrize(
    ("glossary", "words"),
    [
        ('[[terms]]\nslug = "Bad Slug"\n', "kebab-case"),
        (
            '[[terms]]\nslug = "a"\nterm = { fr = "A" }\n'
            'definition = { fr = "x", en = "y" }\nsource = "s"\n',
            "term needs a text in fr and en",
        ),
        (
            '[[terms]]\nslug = "a"\nterm = { fr = "A", en = "A" }\n'
            'definition = { fr = "x", en = "y" }\n',
            "a source is required",
        ),
        ("[[terms]\n", "glossary.toml"),
    ],
    ids=["slug", "language", "source", "toml"],
)
def test_glossary_rules_name_the_glossary(db, catalogue, content_dir, glossary, words):
    content_dir.glossary.write_text(glossary)
    with pytest.raises(ContentError, match="glossary.toml") as error:
        content_dir.load()
    assert words in str(error.value)


def test_every_problem_is_listed_at_once(catalogue, content_dir):
    content_dir.write("fr", "one", order=1)
    content_dir.write_both("two", "[x](term:nothing)", order=2)
    with pytest.raises(ContentError) as error:
        content_dir.load()
    assert len(str(error.value).splitlines()) == 3
