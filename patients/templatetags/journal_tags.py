"""The journal in the PDF data report : `{% journal_of user as journal %}`."""

from django import template

from patients.journal.data import journal_rows

register = template.Library()


@register.simple_tag
def journal_of(user) -> dict:
    return journal_rows(user)
