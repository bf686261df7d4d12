"""`{% safety_articles drug as articles %}`: the safety articles that apply to a drug, for the
therapy page (the catalogue does not know the content; its template asks the content here)."""

from django import template
from django.utils.translation import get_language

from content.suggestions import safety_articles_for

register = template.Library()


@register.simple_tag
def safety_articles(drug) -> list:
    return safety_articles_for(drug, language=(get_language() or "fr")[:2])
