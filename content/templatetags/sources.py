"""A source's label as cited on a page (issue 18, D16: WCAG 3.1.2, language of parts)."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

QUOTED = re.compile(r"“([^”]+)”")


@register.filter
def cited(source: dict) -> str:
    """The label, its “quoted” titles marked with their language when the source says they are
    in another language than the page's (an English article citing a French title)."""
    label = escape(source.get("label", ""))
    language = source.get("title_lang")
    if not language or language == (get_language() or "")[:2]:
        return mark_safe(label)
    return mark_safe(QUOTED.sub(rf'“<span lang="{language}">\1</span>”', label))
