"""What keeps a cached article page right: the content generation and the page's ETag.

An article page shows more than its own row: the glossary's definitions, the titles of the
related articles, the names of the medicines. So the cached fragment's key holds the article's
content hash and update time *and* a site-wide content generation that `load_content` renews
whenever it writes anything (after the commit). A cache that lost the generation (flushed,
evicted) makes a new one: every fragment is rendered again, none is served stale.

The page around the fragment (the header with a signed-in person's name and unread badge, the
CSRF token of the language form) is rendered for each request and never cached.
"""

import functools
import hashlib
import uuid

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import transaction
from django.template.loader import get_template

GENERATION_KEY = "content:generation"
# How long a rendered article body stays in the cache; a reload of the content ends it sooner.
FRAGMENT_SECONDS = 24 * 60 * 60
# The templates an article page is made of: a deploy that changes one of them changes the ETag.
PAGE_TEMPLATES = ("base.html", "content/article_detail.html")


def generation() -> str:
    """The current content generation (made on first use, kept until the next reload)."""
    return cache.get_or_set(GENERATION_KEY, lambda: uuid.uuid4().hex, timeout=None)


def renew_generation() -> None:
    """Called by `load_content` when it wrote something: every article fragment and ETag
    changes once the new rows are committed (never before, or a reader in between would cache
    the old text under the new generation)."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


@functools.cache
def _build() -> str:
    """The page's templates and the static files' manifest, as shipped in this process."""
    digest = hashlib.sha256()
    for name in PAGE_TEMPLATES:
        digest.update(get_template(name).template.source.encode())
    digest.update(getattr(staticfiles_storage, "manifest_hash", "").encode())
    return digest.hexdigest()[:16]


def fragment_version(article) -> str:
    """What the article's cached body depends on besides its slug and language."""
    return f"{article.content_hash}.{article.updated_at.timestamp():.6f}.{generation()}.{_build()}"


def anonymous_etag(request, article, language: str) -> str | None:
    """The ETag of an article page for a signed-out reader, or None (no conditional GET).

    Signed-in people get no ETag: their page carries their name and badge. A signed-out
    reader's page carries the CSRF token of their cookie, so the cookie is part of the tag (a
    page cached by the browser before a log-in, whose token no longer matches, is sent again).
    A pending message (in its cookie or a session) would not be shown by a 304: no ETag then.
    """
    if request.user.is_authenticated:
        return None
    if "messages" in request.COOKIES or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return None
    parts = (
        language,
        article.slug,
        fragment_version(article),
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
