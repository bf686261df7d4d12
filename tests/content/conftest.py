"""Small content sets written to a temporary folder, and the real content loaded."""

from pathlib import Path

import pytest
import yaml

from content.loading import load_content

GLOSSARY = """
[[terms]]
slug = "cytokine"
term = { fr = "Cytokine", en = "Cytokine" }
definition = { fr = "Une petite protéine messagère.", en = "A small messenger protein." }
source = "Seed 001"

[[terms]]
slug = "interleukin"
term = { fr = "Interleukine", en = "Interleukin" }
definition = { fr = "Une cytokine entre globules blancs.", en = "A cytokine between white cells." }
source = "Seed 000"
"""

BASE_META = {
    "kind": "article",
    "therapy_class": "",
    "reviewed": "2026-11-22",
    "related_articles": [],
    "related_therapies": [],
    "sources": [{"label": "Inserm, « Interleukine »", "url": "https://www.inserm.fr/"}],
}


class ContentDir:
    """content/articles/{fr,en}/ and glossary.toml under a temporary folder."""

    def __init__(self, root: Path):
        self.root = root
        self.articles = root / "articles"
        self.glossary = root / "glossary.toml"
        for language in ("fr", "en"):
            (self.articles / language).mkdir(parents=True, exist_ok=True)
        self.glossary.write_text(GLOSSARY, encoding="utf-8")

    def path(self, language: str, slug: str) -> Path:
        return self.articles / language / f"{slug}.md"

    def write(self, language: str, slug: str, body: str = "", **meta) -> Path:
        values = {**BASE_META, "title": f"{slug} ({language})", "summary": "What you learn."}
        values.update(meta)
        front = yaml.safe_dump(values, allow_unicode=True, sort_keys=False)
        path = self.path(language, slug)
        path.write_text(f"---\n{front}---\n{body}\n", encoding="utf-8")
        return path

    def write_both(self, slug: str, body: str = "", **meta) -> None:
        for language in ("fr", "en"):
            self.write(language, slug, body.replace("{lang}", language), **meta)

    def load(self):
        return load_content(self.articles, self.glossary)


@pytest.fixture
def content_dir(tmp_path) -> ContentDir:
    return ContentDir(tmp_path / "content")


@pytest.fixture
def small_content(db, catalogue, content_dir) -> ContentDir:
    """Three articles in both languages, with every link scheme and a figure."""
    content_dir.write_both(
        "what-are-interleukins",
        "## Messengers\n\nThe [cytokines](term:cytokine) of the immune system include the "
        "Interleukines. Read [the next one](article:living-with-treatment), see "
        "[your checklists](page:checklists), [your trips](page:trips), "
        "[guselkumab](page:therapy:guselkumab) and [the glossary](page:glossary).\n\n"
        "![A dendritic cell talks to a CD4 T cell, which makes IL-2.](figure:cytokine-conversation)"
        "\n\n| Cell | Makes |\n|---|---|\n| Th17 | IL-17 |\n",
        order=1,
        related_articles=["living-with-treatment", "class-anti-il17"],
        related_therapies=["guselkumab"],
    )
    content_dir.write_both(
        "living-with-treatment",
        "## Daily life\n\nVoyage, travel and [interleukins](term:interleukin) with "
        "[the dashboard](page:dashboard) and [all therapies](page:therapies).",
        order=8,
        related_therapies=["guselkumab", "secukinumab"],
    )
    content_dir.write_both(
        "class-anti-il17",
        "## How they work\n\nThey block IL-17.",
        order=14,
        kind="therapy_class",
        therapy_class="anti_il17",
        related_therapies=["secukinumab", "ixekizumab"],
    )
    content_dir.load()
    return content_dir
