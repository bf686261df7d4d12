"""PDF rendering (WeasyPrint) for the travel letters and the data export's report.

The path is closed to the outside: WeasyPrint gets a URL fetcher that serves only the files
under static/letters and static/fonts and `data:` URIs, and refuses everything else (no network,
no other file, nothing a name typed by a user could point at).
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint import HTML  # imported once per process: it is slow to import
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(settings.BASE_DIR) / "static"
# What the documents' own HTML may load; nothing else is fetched.
ALLOWED_DIRS = (STATIC_DIR / "letters", STATIC_DIR / "fonts")
BASE_URL = STATIC_DIR.as_uri() + "/"


class StaticOnlyFetcher(URLFetcher):
    """Serves the letter's stylesheet and fonts and `data:` URIs; refuses anything else."""

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if any(path.is_relative_to(folder) for folder in ALLOWED_DIRS) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": kind}, 200
                )
        raise ValueError(f"The letter renderer fetches nothing from {scheme or 'this'} URLs.")


FONT_CONFIG = FontConfiguration()


def render_pdf(html: str, *, fetcher: URLFetcher | None = None) -> bytes:
    return HTML(
        string=html, base_url=BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher()
    ).write_pdf(font_config=FONT_CONFIG, pdf_variant="pdf/ua-1")
