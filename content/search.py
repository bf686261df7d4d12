"""Search the articles (and glossary terms) of one language.

PostgreSQL: full-text search on a stored vector (GIN index), with the text search configurations
`content_french` / `content_english` of migration 0002 (the language's stemmer after `unaccent`),
ranked by SearchRank with the title above the summary above the body, and a SearchHeadline
snippet. Every word of the query is matched as a prefix, so results come while a word is typed.

Elsewhere (SQLite, the embedded default): the same contract in Python over the rows of the
language, about twenty: accents and case folded, each word matched at the start of a word (a
final plural s or x ignored), ranked by title hits, then summary, then body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from content.models import Article, GlossaryTerm

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_RESULTS = 20
MAX_TERMS = 8  # glossary hits: terms whose name matches come first
SNIPPET_WORDS = 30
CONFIGS = {"fr": "content_french", "en": "content_english"}
# Private-use characters mark the highlighted words in SearchHeadline's output, so the snippet
# can be escaped first and the <mark> added after: the text itself may hold < or &.
START, STOP = "\ue000", "\ue001"


@dataclass
class Hit:
    slug: str
    title: str
    summary: str
    snippet: SafeString


@dataclass
class TermHit:
    slug: str
    term: str
    definition: str


@dataclass
class Results:
    query: str
    articles: list[Hit]
    terms: list[TermHit]
    too_long: bool = False
    too_short: bool = False  # no word of two characters or more

    @property
    def count(self) -> int:
        return len(self.articles) + len(self.terms)


def fold(text: str) -> str:
    """Lower case without accents: "Interleukines Élevées" -> "interleukines elevees"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(query: str) -> list[str]:
    """The folded words worth searching for (two characters or more), at most MAX_WORDS."""
    words = [w for w in re.findall(r"\w+", fold(query)) if len(w) >= 2]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def config_of(language: str) -> str:
    return CONFIGS.get(language, CONFIGS["en"])


def _mark(snippet: str) -> SafeString:
    return mark_safe(escape(snippet).replace(START, "<mark>").replace(STOP, "</mark>"))


# --- PostgreSQL --------------------------------------------------------------------------------


def update_search_vectors(articles: QuerySet) -> None:
    """Called by the loader for the rows it wrote: one UPDATE per language."""
    for language, config in CONFIGS.items():
        articles.filter(language=language).update(
            search_vector=SearchVector("title", config=config, weight="A")
            + SearchVector("summary", config=config, weight="B")
            + SearchVector("body_text", config=config, weight="C")
        )


def _tsquery(words: list[str], config: str) -> SearchQuery:
    # Words are \w+ only, so nothing in them is tsquery syntax; ':*' makes each a prefix.
    raw = " & ".join(f"{word}:*" for word in words)
    return SearchQuery(raw, config=config, search_type="raw")


def _search_postgresql(articles: QuerySet, words: list[str], language: str) -> list[Hit]:
    config = config_of(language)
    query = _tsquery(words, config)
    rows = (
        articles.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=SearchHeadline(
                "body_text",
                query,
                config=config,
                start_sel=START,
                stop_sel=STOP,
                max_words=SNIPPET_WORDS,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "order")
        .values("slug", "title", "summary", "snippet")[:MAX_RESULTS]
    )
    return [Hit(r["slug"], r["title"], r["summary"], _mark(r["snippet"])) for r in rows]


# --- Everywhere else ---------------------------------------------------------------------------


def _patterns(words: list[str]) -> list[re.Pattern]:
    """Each word at the start of a word; a final s or x of the query is optional."""
    patterns = []
    for word in words:
        stem = word[:-1] if len(word) > 3 and word[-1] in "sx" else word
        patterns.append(re.compile(r"\b" + re.escape(stem)))
    return patterns


WORD_REST = re.compile(r"\w*")


def _fold_with_positions(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index of the original one."""
    folded, positions = [], []
    for index, char in enumerate(text):
        for piece in fold(char):
            folded.append(piece)
            positions.append(index)
    positions.append(len(text))
    return "".join(folded), positions


def _snippet(text: str, patterns: list[re.Pattern]) -> SafeString:
    """About SNIPPET_WORDS words of `text` around the first hit, hits marked, all escaped."""
    folded, positions = _fold_with_positions(text)
    spans = sorted(
        (positions[m.start()], positions[m.end()]) for p in patterns for m in p.finditer(folded)
    )
    words = list(re.finditer(r"\S+", text))
    if not words:
        return mark_safe("")
    first = spans[0][0] if spans else 0
    centre = next((i for i, w in enumerate(words) if w.end() > first), 0)
    begin = max(0, centre - SNIPPET_WORDS // 3)
    chosen = words[begin : begin + SNIPPET_WORDS]
    start, end = chosen[0].start(), chosen[-1].end()
    out, cursor = [], start
    for left, right in spans:
        if left < cursor or right > end:
            continue
        right = WORD_REST.match(text, right).end()  # mark the whole word the hit begins
        out += [escape(text[cursor:left]), "<mark>", escape(text[left:right]), "</mark>"]
        cursor = right
    out.append(escape(text[cursor:end]))
    prefix = "… " if begin else ""
    suffix = " …" if begin + SNIPPET_WORDS < len(words) else ""
    return mark_safe(prefix + "".join(out) + suffix)


def _search_python(articles: QuerySet, words: list[str]) -> list[Hit]:
    patterns = _patterns(words)
    scored = []
    for row in articles.values("slug", "title", "summary", "body_text", "order"):
        fields = [fold(row[name]) for name in ("title", "summary", "body_text")]
        if not all(any(p.search(f) for f in fields) for p in patterns):
            continue
        hits = tuple(sum(len(p.findall(f)) for p in patterns) for f in fields)
        scored.append((hits, row))
    scored.sort(key=lambda item: (tuple(-h for h in item[0]), item[1]["order"]))
    return [
        Hit(row["slug"], row["title"], row["summary"], _snippet(row["body_text"], patterns))
        for _hits, row in scored[:MAX_RESULTS]
    ]


def _search_terms(terms: QuerySet, words: list[str], language: str) -> list[TermHit]:
    patterns = _patterns(words)
    found = []
    for row in terms.values("slug", f"term_{language}", f"definition_{language}"):
        term, definition = row[f"term_{language}"], row[f"definition_{language}"]
        folded = fold(f"{term} {definition}")
        if all(p.search(folded) for p in patterns):
            found.append((not all(p.search(fold(term)) for p in patterns), fold(term), row))
    found.sort(key=lambda item: item[:2])
    return [
        TermHit(r["slug"], r[f"term_{language}"], r[f"definition_{language}"]) for *_key, r in found
    ]


def search(query: str, *, language: str) -> Results:
    """Published articles and glossary terms of `language` matching every word of `query`."""
    query = query.strip()
    if len(query) > MAX_QUERY_LENGTH:
        return Results(query=query[:MAX_QUERY_LENGTH], articles=[], terms=[], too_long=True)
    words = query_words(query)
    if not words:
        return Results(query=query, articles=[], terms=[], too_short=True)
    language = language if language in CONFIGS else "en"
    articles = Article.objects.published(language)
    if connection.vendor == "postgresql":
        hits = _search_postgresql(articles, words, language)
    else:
        hits = _search_python(articles, words)
    return Results(
        query=query,
        articles=hits,
        terms=_search_terms(GlossaryTerm.objects.all(), words, language),
    )
