"""The summary as a standalone HTML document and as a tagged A4 PDF (PDF/UA-1), through the
travel letters' WeasyPrint machinery: its closed URL fetcher, fonts and PDF/UA variant."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from patients.summary.data import VisitSummary


def page_footer() -> str:
    """The CSS `content` of the page footer ("Page 2 of 2") in the active language."""
    text = gettext("Page {page} of {pages}").replace('"', "")
    parts = text.replace("{pages}", '" counter(pages) "').replace("{page}", '" counter(page) "')
    return mark_safe(f'"{parts}"')  # our own translation, quotes removed: no markup, no escape


def summary_context(summary: VisitSummary, *, made_by) -> dict:
    return {"s": summary, "made_by": made_by}


def summary_html(summary: VisitSummary, *, language: str, made_by) -> str:
    """The document WeasyPrint renders, in the reader's language, times in the patient's zone."""
    with translation.override(language), timezone.override(summary.patient.zone):
        context = summary_context(summary, made_by=made_by) | {"page_footer": page_footer()}
        return render_to_string("letters/visit_summary.html", context)


def summary_pdf(summary: VisitSummary, *, language: str, made_by) -> bytes:
    from patients.pdf import render_pdf  # here: patients.pdf imports WeasyPrint, slow to import

    return render_pdf(summary_html(summary, language=language, made_by=made_by))


def pdf_filename(summary: VisitSummary) -> str:
    return f"visit-summary-{summary.period.start:%Y-%m-%d}-{summary.period.end:%Y-%m-%d}.pdf"
