"""Load content/articles/{fr,en}/*.md and content/glossary.toml into the database, idempotently.

Every file is parsed and checked against the rules of content/FORMAT.md before anything is
written; one error (or several) names each file at fault. Then, in one transaction: glossary
terms are created, updated or deleted; an article whose file hash is unchanged is left alone, an
edited one is updated, and one whose file has gone is unpublished (its row stays, so nothing that
points to it breaks).
"""

from __future__ import annotations

import datetime
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.db import connection, transaction

from content import caching, rendering, search
from content.models import APPLIES_TO_ALL, Article, GlossaryTerm, Kind, Section
from therapies.loading import CATALOGUE_DIR
from therapies.models import DrugClass

CONTENT_DIR = Path(__file__).resolve().parent
ARTICLES_DIR = CONTENT_DIR / "articles"
GLOSSARY_FILE = CONTENT_DIR / "glossary.toml"
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
REQUIRED_KEYS = {"title", "summary", "kind", "order", "reviewed", "sources"}
OPTIONAL_KEYS = {"therapy_class", "related_articles", "related_therapies", "applies_to"}
# Front matter that must be the same in both language versions of an article.
SHARED_KEYS = (
    "kind",
    "therapy_class",
    "order",
    "related_articles",
    "related_therapies",
    "applies_to",
)
# FORMAT.md has no section field. These articles are about one's own treatment; every other
# article of kind "article" explains the science (cytokines, research, cytokine storms).
TREATMENT_ARTICLES = frozenset(
    {
        "anti-interleukins-for-psoriasis",
        "before-the-first-prescription",
        "living-with-treatment",
        "travelling-with-treatment",
        "infections-and-fever",
        "vaccines",
        "pregnancy-and-breastfeeding",
        "surgery-and-dental-care",
        "injection-technique",
        "side-effects-and-urgent-care",
        "biosimilars",
    }
)
WORDS_PER_MINUTE = 200


class ContentError(ValueError):
    """One line per problem, each starting with the file it is in."""


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    terms: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.unpublished)} unpublished; "
            f"{self.terms} glossary terms"
        )


def catalogue_inns() -> set[str]:
    return {path.stem for path in CATALOGUE_DIR.glob("*.toml")}


def section_of(kind: str, slug: str) -> str:
    if kind == Kind.THERAPY_CLASS:
        return Section.CLASSES
    return Section.TREATMENT if slug in TREATMENT_ARTICLES else Section.UNDERSTANDING


# --- Glossary ----------------------------------------------------------------------------------


def parse_glossary(path: Path) -> dict[str, dict[str, str]]:
    """slug -> the row's fields."""
    name = path.name
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(f"{name}: the glossary file is missing") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{name}: {error}") from error
    errors: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for position, entry in enumerate(data.get("terms", []), start=1):
        slug = str(entry.get("slug", ""))
        where = f"{name}: term {slug or position}"
        if not SLUG.fullmatch(slug):
            errors.append(f"{where}: the slug must be ASCII kebab-case")
            continue
        if slug in rows:
            errors.append(f"{where}: the slug is used twice")
            continue
        unknown = set(entry) - {"slug", "term", "definition", "source"}
        if unknown:
            errors.append(f"{where}: unknown keys {sorted(unknown)}")
        texts = {}
        for key in ("term", "definition"):
            value = entry.get(key)
            if not isinstance(value, dict) or not all(
                isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGUAGES
            ):
                errors.append(f"{where}: {key} needs a text in {' and '.join(LANGUAGES)}")
                value = {}
            for lang in LANGUAGES:
                texts[f"{key}_{lang}"] = str(value.get(lang, "")).strip()
        source = str(entry.get("source", "")).strip()
        if not source:
            errors.append(f"{where}: a source is required")
        rows[slug] = {**texts, "source": source}
    if not rows and not errors:
        errors.append(f"{name}: no [[terms]]")
    if errors:
        raise ContentError("\n".join(errors))
    return rows


# --- Articles ----------------------------------------------------------------------------------


@dataclass
class ParsedArticle:
    path: str  # as shown in errors: articles/fr/<slug>.md
    slug: str
    language: str
    meta: dict[str, Any]
    body: str
    digest: str


def _split_front_matter(where: str, text: str) -> tuple[dict[str, Any], str]:
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(f"{where}: the file must start with front matter between --- lines")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ContentError(f"{where}: the front matter has no closing --- line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{where}: the front matter is not valid YAML ({error})") from error
    if not isinstance(meta, dict):
        raise ContentError(f"{where}: the front matter must be a mapping of keys to values")
    return meta, "\n".join(lines[end + 1 :])


def _check_meta(where: str, meta: dict[str, Any]) -> list[str]:
    errors = []
    missing = REQUIRED_KEYS - set(meta)
    if missing:
        errors.append(f"{where}: missing front matter keys {sorted(missing)}")
    unknown = set(meta) - REQUIRED_KEYS - OPTIONAL_KEYS
    if unknown:
        errors.append(f"{where}: unknown front matter keys {sorted(unknown)}")
    for key in ("title", "summary"):
        if key in meta and not (isinstance(meta[key], str) and meta[key].strip()):
            errors.append(f"{where}: {key} must be a non-empty text")
    kind = meta.get("kind")
    therapy_class = meta.get("therapy_class") or ""
    if kind not in Kind.values:
        errors.append(f"{where}: kind must be one of {Kind.values}, not {kind!r}")
    elif kind == Kind.THERAPY_CLASS and therapy_class not in DrugClass.values:
        errors.append(f"{where}: therapy_class must be one of {DrugClass.values}")
    elif kind == Kind.ARTICLE and therapy_class:
        errors.append(f"{where}: therapy_class is only for kind: therapy_class")
    order = meta.get("order")
    if "order" in meta and (not isinstance(order, int) or isinstance(order, bool) or order < 0):
        errors.append(f"{where}: order must be a whole number")
    reviewed = meta.get("reviewed")
    if isinstance(reviewed, str):
        try:
            meta["reviewed"] = datetime.date.fromisoformat(reviewed)
        except ValueError:
            errors.append(f"{where}: reviewed must be a date (YYYY-MM-DD)")
    elif "reviewed" in meta and not isinstance(reviewed, datetime.date):
        errors.append(f"{where}: reviewed must be a date (YYYY-MM-DD)")
    sources = meta.get("sources")
    if "sources" in meta:
        if not isinstance(sources, list) or not sources:
            errors.append(f"{where}: at least one source is required")
        else:
            for number, source in enumerate(sources, start=1):
                if not isinstance(source, dict) or not str(source.get("label") or "").strip():
                    errors.append(f"{where}: source {number} needs a label")
                elif set(source) - {"label", "url", "title_lang"}:
                    errors.append(
                        f"{where}: source {number} has keys other than label, url and title_lang"
                    )
                elif source.get("title_lang") not in (None, "fr", "en"):
                    errors.append(f"{where}: source {number} title_lang must be fr or en")
                elif source.get("url") and not re.match(r"https?://", str(source["url"])):
                    errors.append(f"{where}: source {number} url must start with http(s)://")
    for key in ("related_articles", "related_therapies", "applies_to"):
        value = meta.get(key, [])
        if value is None:
            meta[key] = value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"{where}: {key} must be a list of names")
    return errors


def _read_article(root: Path, path: Path) -> tuple[ParsedArticle | None, list[str]]:
    where = path.relative_to(root.parent).as_posix()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [f"{where}: the file is not UTF-8"]
    if not SLUG.fullmatch(path.stem):
        return None, [f"{where}: the file name must be an ASCII kebab-case slug"]
    try:
        meta, body = _split_front_matter(where, text)
    except ContentError as error:
        return None, [str(error)]
    errors = _check_meta(where, meta)
    article = ParsedArticle(
        path=where,
        slug=path.stem,
        language=path.parent.name,
        meta=meta,
        body=body,
        digest=hashlib.sha256(rendering.RENDERER_VERSION.encode() + b"\n" + raw).hexdigest(),
    )
    return article, errors


def _check_body(
    article: ParsedArticle, *, slugs: set[str], terms: dict[str, Any], inns: set[str]
) -> list[str]:
    """The body's rules: links to the app, glossary and figures; no raw HTML or outside image."""
    where = article.path
    errors = []
    seen_terms: set[str] = set()
    for token in rendering.parse(article.body):
        if token.type == "heading_open" and token.tag == "h1":
            errors.append(f"{where}: headings start at ## (the page shows the title as the h1)")
        if token.type == "html_block":
            errors.append(f"{where}: raw HTML is not allowed ({token.content.strip()[:40]!r})")
        for child in token.children or []:
            if child.type == "html_inline":
                errors.append(f"{where}: raw HTML is not allowed ({child.content[:40]!r})")
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                name = src.removeprefix("figure:")
                if not src.startswith("figure:"):
                    errors.append(f"{where}: images must be project figures (figure:<name>)")
                elif name not in rendering.FIGURES:
                    errors.append(f"{where}: unknown figure {name!r}")
                if not child.content.strip():
                    errors.append(f"{where}: the figure {name!r} needs a text alternative")
            elif child.type == "link_open":
                href = str(child.attrGet("href") or "")
                errors += _check_link(where, href, slugs, terms, inns, seen_terms)
    return errors


def _check_link(where, href, slugs, terms, inns, seen_terms) -> list[str]:
    scheme, _colon, value = href.partition(":")
    if scheme == "term":
        if value not in terms:
            return [f"{where}: term:{value} is not in the glossary"]
        if value in seen_terms:
            return [f"{where}: term:{value} is linked twice (link only its first use)"]
        seen_terms.add(value)
    elif scheme == "article" and value not in slugs:
        return [f"{where}: article:{value} names no article"]
    elif scheme == "page":
        if value.startswith("therapy:"):
            if value.removeprefix("therapy:") not in inns:
                return [f"{where}: page:{value} names no drug of the catalogue"]
        elif value not in rendering.PAGES:
            return [f"{where}: unknown page {value!r} (one of {sorted(rendering.PAGES)})"]
    elif scheme == "figure":
        return [f"{where}: figures are images: write ![text alternative](figure:<name>)"]
    return []


def parse_articles(
    root: Path, *, terms: dict[str, Any], inns: set[str]
) -> dict[tuple[str, str], ParsedArticle]:
    """(slug, language) -> the article; raises ContentError listing every problem found."""
    errors: list[str] = []
    articles: dict[tuple[str, str], ParsedArticle] = {}
    for language in LANGUAGES:
        for path in sorted((root / language).glob("*.md")):
            article, problems = _read_article(root, path)
            errors += problems
            if article is not None:
                articles[article.slug, language] = article
    slugs = {slug for slug, _language in articles}
    for slug in sorted(slugs):
        versions = [articles.get((slug, language)) for language in LANGUAGES]
        present = [v for v in versions if v is not None]
        if len(present) != len(LANGUAGES):
            missing = [lang for lang, v in zip(LANGUAGES, versions, strict=True) if v is None]
            errors.append(f"{present[0].path}: no {' or '.join(missing)} version ({slug}.md)")
        first = present[0]
        for other in present[1:]:
            for key in SHARED_KEYS:
                mine = first.meta.get(key) or ([] if key.startswith("related") else "")
                theirs = other.meta.get(key) or ([] if key.startswith("related") else "")
                if mine != theirs:
                    errors.append(f"{other.path}: {key} differs from {first.path}")
    for article in articles.values():
        where = article.path
        for related in article.meta.get("related_articles") or []:
            if related not in slugs:
                errors.append(f"{where}: related_articles names no article: {related}")
            elif related == article.slug:
                errors.append(f"{where}: an article is not related to itself")
        for inn in article.meta.get("related_therapies") or []:
            if inn not in inns:
                errors.append(f"{where}: related_therapies names no drug of the catalogue: {inn}")
        for name in article.meta.get("applies_to") or []:
            if name != APPLIES_TO_ALL and name not in DrugClass.values and name not in inns:
                errors.append(
                    f"{where}: applies_to names neither all, a drug class nor an INN: {name}"
                )
        errors += _check_body(article, slugs=slugs, terms=terms, inns=inns)
    seen: dict[tuple[str, str], str] = {}
    for article in articles.values():
        if article.meta.get("kind") == Kind.THERAPY_CLASS:
            key = (article.language, article.meta.get("therapy_class"))
            if key in seen:
                errors.append(f"{article.path}: {seen[key]} already covers {key[1]}")
            seen[key] = article.path
    if errors:
        raise ContentError("\n".join(errors))
    return articles


def article_fields(article: ParsedArticle) -> dict[str, Any]:
    meta = article.meta
    rendered = rendering.render_markdown(article.body)
    return {
        "title": meta["title"].strip(),
        "summary": meta["summary"].strip(),
        "kind": meta["kind"],
        "section": section_of(meta["kind"], article.slug),
        "therapy_class": meta.get("therapy_class") or "",
        "order": meta["order"],
        "reading_minutes": max(1, round(rendered.words / WORDS_PER_MINUTE)),
        "body_html": rendered.html,
        "body_text": rendered.text,
        "sources": [
            {
                "label": str(s["label"]).strip(),
                "url": str(s.get("url") or ""),
                **({"title_lang": s["title_lang"]} if s.get("title_lang") else {}),
            }
            for s in meta["sources"]
        ],
        "reviewed": meta["reviewed"],
        "related_articles": list(meta.get("related_articles") or []),
        "related_therapies": list(meta.get("related_therapies") or []),
        "applies_to": list(meta.get("applies_to") or []),
        "terms": rendered.terms,
        "published": True,
        "content_hash": article.digest,
    }


# --- Writing -----------------------------------------------------------------------------------


def _sync_glossary(rows: dict[str, dict[str, str]]) -> bool:
    """Write the glossary; True when a term was added, changed or removed."""
    existing = {term.slug: term for term in GlossaryTerm.objects.all()}
    removed, _ = GlossaryTerm.objects.exclude(slug__in=rows).delete()
    wrote = bool(removed)
    for slug, values in rows.items():
        term = existing.get(slug)
        if term is None:
            GlossaryTerm.objects.create(slug=slug, **values)
            wrote = True
            continue
        changed = [name for name, value in values.items() if getattr(term, name) != value]
        if changed:
            for name in changed:
                setattr(term, name, values[name])
            term.save(update_fields=changed)
            wrote = True
    return wrote


def load_content(root: Path = ARTICLES_DIR, glossary: Path = GLOSSARY_FILE) -> LoadReport:
    terms = parse_glossary(glossary)
    articles = parse_articles(root, terms=terms, inns=catalogue_inns())
    report = LoadReport(terms=len(terms))
    with transaction.atomic():
        glossary_changed = _sync_glossary(terms)
        existing = {(a.slug, a.language): a for a in Article.objects.all()}
        touched: list[int] = []
        for key, parsed in articles.items():
            name = f"{parsed.language}/{parsed.slug}"
            row = existing.get(key)
            if row is None:
                row = Article.objects.create(
                    slug=parsed.slug, language=parsed.language, **article_fields(parsed)
                )
                report.created.append(name)
                touched.append(row.pk)
            elif (
                row.content_hash != parsed.digest
                or not row.published
                or row.section != section_of(parsed.meta["kind"], parsed.slug)
            ):
                values = article_fields(parsed)
                for attribute, value in values.items():
                    setattr(row, attribute, value)
                row.save(update_fields=[*values, "updated_at"])
                report.updated.append(name)
                touched.append(row.pk)
            else:
                report.unchanged.append(name)
        gone = [row for key, row in existing.items() if key not in articles and row.published]
        if gone:
            Article.objects.filter(pk__in=[row.pk for row in gone]).update(published=False)
            report.unpublished += [f"{row.language}/{row.slug}" for row in gone]
        if touched and connection.vendor == "postgresql":
            search.update_search_vectors(Article.objects.filter(pk__in=touched))
        if glossary_changed or report.created or report.updated or report.unpublished:
            caching.renew_generation()  # cached article pages show the new text
    return report
