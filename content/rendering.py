"""Markdown to safe HTML, and the app's own link schemes (content/FORMAT.md).

Two steps, at two moments:
- `render_markdown` (load time): CommonMark + tables through markdown-it-py, then an allowlist
  sanitiser (nh3). Links keep their `term:`, `article:`, `page:` and `figure:` addresses.
- `resolve_links` (page time): those addresses become the site's URLs in the reader's language.
  Resolving late means a page added after the content was loaded (the trip planner) is linked
  as soon as its URL exists, without reloading anything.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cache

import nh3
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Part of each article's content hash: bump it when the HTML or text made from the same file
# changes, and the next load_content rewrites every article.
RENDERER_VERSION = "1"
FIGURES = ("cytokine-conversation", "il23-th17-axis", "injection-sites", "cold-chain-packing")
# page:<name> -> URL name. page:therapy:<inn> is handled apart.
PAGES = {
    "checklists": "patients:checklists",
    "trips": "patients:trips",
    "therapies": "therapies:list",
    "glossary": "content:glossary",
    "dashboard": "patients:dashboard",
}
APP_SCHEMES = ("term", "article", "page", "figure")

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "em", "code", "pre",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "img", "figure",
    "figcaption",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "ol": {"start"},
    "th": {"scope"},
    "figcaption": {"aria-hidden"},
}
URL_SCHEMES = {"http", "https", "mailto", *APP_SCHEMES}


@cache
def _markdown() -> MarkdownIt:
    # html=True only so that raw HTML reaches the sanitiser, which strips it: the loader refuses
    # files that contain any (see loading.py), this is the second line.
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.add_render_rule("image", _render_image)
    md.core.ruler.push("figure_paragraphs", _unwrap_figures)
    return md


def _is_figure(token: Token) -> bool:
    return token.type == "image" and str(token.attrGet("src") or "").startswith("figure:")


def _unwrap_figures(state) -> None:
    """A paragraph holding only a figure becomes the figure (a <figure> may not sit in a <p>)."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "inline" or index == 0 or index + 1 >= len(tokens):
            continue
        children = [c for c in token.children or [] if not (c.type == "text" and not c.content)]
        if len(children) == 1 and _is_figure(children[0]):
            tokens[index - 1].hidden = True
            tokens[index + 1].hidden = True


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = escape(token.attrGet("src") or "")
    if not _is_figure(token):
        return f'<img src="{src}" alt="{escape(alt)}">'
    # The caption shows the text alternative to everyone; screen readers get it once, from alt.
    return (
        f'<figure><img src="{src}" alt="{escape(alt)}">'
        f'<figcaption aria-hidden="true">{escape(alt)}</figcaption></figure>\n'
    )


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Only the project's own figures are images: no external image, no tracking pixel.
    if tag == "img" and attribute == "src" and not value.startswith("figure:"):
        return None
    return value


def sanitise(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


@dataclass
class Rendered:
    html: str
    text: str
    words: int = 0
    terms: list[str] = field(default_factory=list)


def parse(body: str) -> list[Token]:
    return _markdown().parse(body)


def render_markdown(body: str) -> Rendered:
    md = _markdown()
    tokens = md.parse(body)
    safe = sanitise(md.renderer.render(tokens, md.options, {}))
    text = plain_text(safe)
    terms: list[str] = []
    for href in links_of(tokens):
        if href.startswith("term:") and href[5:] not in terms:
            terms.append(href[5:])
    return Rendered(html=safe, text=text, words=len(text.split()), terms=terms)


def links_of(tokens: list[Token]) -> list[str]:
    """Every link address, in order."""
    hrefs = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(str(child.attrGet("href") or ""))
    return hrefs


BLOCK_TAG = re.compile(
    r"</?(?:p|h[1-6]|ul|ol|li|pre|blockquote|table|thead|tbody|tr|th|td|hr|br|img|figure|figcaption)"
    r"\b[^>]*>"
)
TAG = re.compile(r"<[^>]*>")


def plain_text(fragment: str) -> str:
    """The words of a sanitised fragment (figure captions included), one space between them."""
    return " ".join(html.unescape(TAG.sub("", BLOCK_TAG.sub(" ", fragment))).split())


# nh3 writes attributes with double quotes and escapes what is inside them.
APP_LINK = re.compile(r'<a href="(term|article|page):([^"]*)"|src="figure:([a-z0-9-]+)"')


def page_url(name: str) -> str:
    """The URL of `page:<name>` (load_content accepts only the names of PAGES and therapies)."""
    if name.startswith("therapy:"):
        return reverse("therapies:detail", args=[name.removeprefix("therapy:")])
    return reverse(PAGES[name])


def resolve_links(fragment: str) -> str:
    """Turn the app's link schemes into URLs of the active language (see the module docstring).

    A `term:` link goes to the glossary entry and is described by the definition the article
    page lists under "Terms in this article" (`def-<slug>`), so keyboard and screen-reader users
    get the definition where the word is, without hovering.
    """
    urls: dict[str, str] = {}

    def url(scheme: str, value: str) -> str:
        key = f"{scheme}:{value}"
        if key not in urls:
            if scheme == "term":
                urls[key] = f"{reverse('content:glossary')}#term-{value}"
            elif scheme == "article":
                urls[key] = reverse("content:article", args=[value])
            else:
                urls[key] = page_url(value)
        return urls[key]

    def replace(match: re.Match) -> str:
        scheme, value, figure = match.groups()
        if figure:
            return f'src="{static(f"img/figures/{figure}.svg")}"'
        value = html.unescape(value)
        href = escape(url(scheme, value))
        if scheme == "term":
            slug = escape(value)
            return f'<a href="{href}" class="term" aria-describedby="def-{slug}"'
        return f'<a href="{href}"'

    return APP_LINK.sub(replace, fragment)
