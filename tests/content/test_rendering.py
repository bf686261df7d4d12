"""Markdown to safe HTML: CommonMark + tables, an allowlist sanitiser, the app's link schemes."""

import pytest
from django.utils import translation

from content.rendering import render_markdown, resolve_links


def html_of(markdown: str) -> str:
    return render_markdown(markdown).html


def test_it_renders_commonmark_and_tables():
    html = html_of("## Title\n\n*a* **b** `c`\n\n| A | B |\n|--:|---|\n| 1 | 2 |\n")
    assert "<h2>Title</h2>" in html
    assert "<em>a</em> <strong>b</strong> <code>c</code>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "style=" not in html  # alignment styles would be refused by the CSP anyway


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", ["<script", "alert(1)"]),
        ("Hi <script>alert(1)</script> there", ["<script", "alert"]),
        ('<img src="x" onerror="alert(1)">', ["onerror", "alert", 'src="x"']),
        ('<a href="/" onclick="steal()">x</a>', ["onclick", "steal"]),
        ("[click](javascript:alert(1))", ['href="javascript', "<a "]),
        ('<a href="javascript:alert(1)">x</a>', ["javascript:"]),
        ("[click](JaVaScRiPt:alert(1))", ['href="JaVaScRiPt']),
        ('<iframe src="https://evil.example"></iframe>', ["<iframe"]),
        ("<style>body{display:none}</style>", ["<style", "display:none"]),
        ('<div style="position:fixed">x</div>', ["<div", "style="]),
        ("![tracker](https://evil.example/pixel.gif)", ["evil.example"]),
        ("<!-- a comment -->", ["<!--"]),
        ('<form action="/"><input name="q"></form>', ["<form", "<input"]),
    ],
)
def test_the_sanitiser_strips_what_could_run_or_mislead(markdown, forbidden):
    html = html_of(markdown)
    for text in forbidden:
        assert text not in html


def test_plain_text_keeps_the_words_without_markup():
    rendered = render_markdown("## Les **interleukines**\n\nSont des *cytokines* & co.")
    assert rendered.text == "Les interleukines Sont des cytokines & co."
    assert rendered.words == 7


def test_a_figure_alone_in_its_paragraph_becomes_a_figure_with_its_text_alternative():
    html = html_of("![IL-23 keeps Th17 cells active.](figure:il23-th17-axis)")
    assert html.startswith("<figure><img")
    assert 'alt="IL-23 keeps Th17 cells active."' in html
    assert "<figcaption" in html and "<p>" not in html
    with translation.override("en"):
        resolved = resolve_links(html)
    assert 'src="/static/img/figures/il23-th17-axis.svg"' in resolved


def test_term_links_become_described_links_to_the_glossary():
    html = html_of("The [cytokines](term:cytokine) talk.")
    with translation.override("en"):
        resolved = resolve_links(html)
    assert (
        '<a href="/en/glossary/#term-cytokine" class="term" aria-describedby="def-cytokine">'
        "cytokines</a>"
    ) in resolved
    with translation.override("fr"):
        assert 'href="/glossary/#term-cytokine"' in resolve_links(html)


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("article:what-are-interleukins", "/en/articles/what-are-interleukins/"),
        ("page:checklists", "/en/checklists/"),
        ("page:therapies", "/en/therapies/"),
        ("page:therapy:guselkumab", "/en/therapies/guselkumab/"),
        ("page:glossary", "/en/glossary/"),
        ("page:dashboard", "/en/dashboard/"),
        ("page:trips", "/en/trips/"),
    ],
)
def test_app_links_resolve_in_the_reader_language(link, url):
    with translation.override("en"):
        assert f'<a href="{url}">x</a>' in resolve_links(html_of(f"[x]({link})"))


def test_outside_links_are_kept():
    assert '<a href="https://www.inserm.fr/">Inserm</a>' in html_of(
        "[Inserm](https://www.inserm.fr/)"
    )
