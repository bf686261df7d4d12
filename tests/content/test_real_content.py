"""The articles and glossary of content/: complete in both languages, loadable, every link alive,
and findable. These read the real files (content/FORMAT.md)."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
import yaml

from content.loading import ARTICLES_DIR, load_content
from content.search import search

LANGUAGES = ("fr", "en")


def front_matter(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def test_every_article_exists_in_both_languages_with_at_least_one_source():
    slugs = {lang: {p.stem for p in (ARTICLES_DIR / lang).glob("*.md")} for lang in LANGUAGES}
    assert slugs["fr"] == slugs["en"]
    assert len(slugs["fr"]) >= 16
    for language in LANGUAGES:
        for slug in slugs[language]:
            sources = front_matter(ARTICLES_DIR / language / f"{slug}.md").get("sources")
            assert sources and all(s.get("label") for s in sources), f"{language}/{slug}.md"


def test_the_real_files_load_cleanly_and_a_second_load_changes_nothing(db, catalogue):
    first = load_content()
    assert first.updated == first.unpublished == []
    assert len(first.created) == 2 * len(list((ARTICLES_DIR / "fr").glob("*.md")))
    second = load_content()
    assert second.created == second.updated == []


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"])


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


CONTENT_PAGE = re.compile(r"^(/en)?/(articles|glossary|search)/")


@pytest.mark.parametrize("signed_in", [True, False], ids=["patient", "anonymous"])
def test_every_link_of_the_content_pages_leads_somewhere(
    client, treatment, real_content, signed_in
):
    """Crawl the content pages from the article lists and glossaries in both languages; every
    same-site link answers 200 (302 to the log-in page for a patient page seen signed out),
    and every #anchor into a content page exists there."""
    if signed_in:
        client.force_login(treatment.patient)
    queue = ["/articles/", "/en/articles/", "/glossary/", "/en/glossary/"]
    seen: dict[str, Links] = {}
    anchors: list[tuple[str, str, str]] = []
    checked: set[str] = set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        seen[url] = links = parse(response.content.decode())
        for href in links.hrefs:
            target = urlsplit(href)
            if target.scheme or target.netloc or href.startswith(("mailto:", "#")):
                continue
            path, fragment = urldefrag(href)
            if fragment and CONTENT_PAGE.match(path):
                anchors.append((url, path, fragment))
            if CONTENT_PAGE.match(path):
                queue.append(path)
            elif path not in checked:
                checked.add(path)
                answer = client.get(path)
                if answer.status_code == 302 and signed_in:  # the home page sends to the dashboard
                    answer = client.get(answer["Location"])
                if answer.status_code == 302:
                    assert "/accounts/login/" in answer["Location"], f"{path} (from {url})"
                else:
                    assert answer.status_code == 200, f"{path} (from {url}): {answer.status_code}"
    assert len([u for u in seen if "/articles/" in u]) >= 2 * 17  # two lists and every article
    for source, path, fragment in anchors:
        assert fragment in seen[path].ids, (
            f"{source} links to {path}#{fragment}, which is not there"
        )


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("interleukine", "fr", "what-are-interleukins"),
        ("INTERLEUKINES", "fr", "what-are-interleukins"),
        ("interleukin", "en", "what-are-interleukins"),
        ("cytokine", "fr", "cytokines-network"),
        ("cytokine", "en", "cytokines-network"),
        ("Th17", "fr", "anti-interleukins-for-psoriasis"),
        ("Th17", "en", "anti-interleukins-for-psoriasis"),
        ("tocilizumab", "fr", "class-anti-il6r"),
        ("tocilizumab", "en", "cytokine-release-syndrome"),
        ("voyage", "fr", "travelling-with-treatment"),
        ("travel", "en", "travelling-with-treatment"),
        ("réaction", "fr", "when-cytokines-go-wrong"),
        ("reaction", "fr", "when-cytokines-go-wrong"),
        ("vaccin", "fr", "before-the-first-prescription"),
        ("vaccine", "en", "before-the-first-prescription"),
        ("isotherme", "fr", "travelling-with-treatment"),
        ("IL-17", "en", "class-anti-il17"),
    ],
)
def test_real_queries_find_the_expected_article(real_content, query, language, expected):
    found = [hit.slug for hit in search(query, language=language).articles]
    assert expected in found[:5], found
