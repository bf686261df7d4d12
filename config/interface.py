"""The site's interface helpers: the form renderer and the template tags base.html uses.

- `FormRenderer` renders every form through templates/django/forms/ (field.html, div.html, the
  error list), so a field's label, hint, error message and input come in the same order on every
  page, with the message tied to the input by `aria-describedby` (Django builds that attribute).
- `{% invalid_forms as forms %}` finds the forms of the page's context that were validated and
  failed: base.html prefixes the title with "Error:" and shows the error summary for them.
- `{% error_summary form %}` shows the summary in a fragment (htmx) that has no base.html; a
  form summarised once in a response is not summarised again.
- `{% aria_current url %}` marks the navigation link of the page (or of its section).
- `{% page_description %}` is the page's meta description when its template sets none: the
  article's summary, a therapy's "how it works", or one written for each public page.

Registered as the `interface` template library in settings.TEMPLATES (`{% load interface %}`).
"""

from pathlib import Path

import django.forms
from django import template
from django.conf import settings
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

register = template.Library()


class FormRenderer(DjangoTemplates):
    """Django's own renderer, looking in the project's templates/ before Django's, so
    templates/django/forms/*.html replace Django's defaults for every form of the app."""

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(settings.BASE_DIR) / "templates",
                    Path(django.forms.__file__).parent / "templates",
                ],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )


def _validated_with_errors(form) -> bool:
    # Only forms the view already validated: reading `errors` on a bound form that was never
    # validated would run its clean() here (an authentication form would try to sign in).
    return form.is_bound and getattr(form, "_errors", None) is not None and bool(form.errors)


def _forms_in(value) -> list[BaseForm]:
    if isinstance(value, BaseForm):
        return [value]
    if isinstance(value, BaseFormSet) and value.is_bound:
        return list(value.forms)
    return []


@register.simple_tag(takes_context=True)
def invalid_forms(context) -> list[BaseForm]:
    """The page's validated forms that hold errors, in the order the view named them."""
    found, seen = [], set()
    for value in context.flatten().values():
        for form in _forms_in(value):
            if id(form) not in seen and _validated_with_errors(form):
                seen.add(id(form))
                found.append(form)
                _leave_focus_to_the_summary(form)
    return found


def _leave_focus_to_the_summary(form) -> None:
    """The error summary takes the focus (autofocus) when a form fails: a field's own autofocus
    (the sign-in's e-mail, the sign-up's first field) would be a second one on the page, which
    HTML forbids and which leaves browsers to pick. The form's fields are its own copies, so
    this changes no other form."""
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)


def _summary_entries(forms) -> list[dict]:
    entries = []
    for form in forms:
        for error in form.non_field_errors():
            entries.append({"message": error, "target": ""})
        for field in form:
            for error in field.errors:
                # Radio buttons and check boxes have no id of their own: link to the first one.
                target = field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else "")
                entries.append({"message": error, "target": target})
    return entries


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms_or_lists) -> dict:
    """The error summary for these forms (or lists of forms), once per form and response."""
    forms = []
    for value in forms_or_lists:
        for form in value if isinstance(value, list | tuple) else [value]:
            summarised = getattr(form, "_interface_summarised", False)
            if isinstance(form, BaseForm) and form.is_bound and form.errors and not summarised:
                form._interface_summarised = True
                _leave_focus_to_the_summary(form)
                forms.append(form)
    return {"entries": _summary_entries(forms)}


@register.simple_tag(takes_context=True)
def aria_current(context, url: str) -> str:
    """` aria-current="page"` on the link to this very page, `="true"` on the link to its
    section (a therapy under Therapies), nothing elsewhere."""
    request = context.get("request")
    if request is None or not url:
        return ""
    if request.path == url:
        return mark_safe(' aria-current="page"')  # noqa: S308 - a constant
    if url != reverse("home") and request.path.startswith(url):
        return mark_safe(' aria-current="true"')  # noqa: S308 - a constant
    return ""


# Meta descriptions of the public pages (search results show them; Lighthouse's SEO audit wants
# one on every page). A template's {% block meta_description %} wins over these.
DESCRIPTIONS = {
    "content:articles": _(
        "Short articles in plain language on interleukins, the diseases they drive, the "
        "biologics that block them, the checks before treatment and daily life with injections."
    ),
    "content:glossary": _(
        "The words of immunology used in the articles (cytokine, interleukin, antibody, "
        "receptor…), each explained in plain language."
    ),
    "content:search": _("Search the articles and the glossary of Interleukin Care."),
    "therapies:list": _(
        "The anti-interleukin biologics, grouped by what they block: for each, how it works, "
        "its regimen, storage and cautions, with their sources."
    ),
    "privacy": _(
        "What Interleukin Care keeps about you, why, who sees it, and how to take a copy of "
        "your data or erase it."
    ),
    "login": _("Log in to follow your biologic treatment, or your patients'."),
    "signup": _(
        "Create an account to follow your anti-interleukin treatment: dose plan, reminders, "
        "stock and trips."
    ),
}
DEFAULT_DESCRIPTION = _(
    "Interleukin Care helps people treated with an anti-interleukin biologic follow their "
    "injections, prepare their trips and read plain-language, sourced explanations; their "
    "specialists follow them."
)


@register.simple_tag(takes_context=True)
def page_description(context) -> str:
    article = context.get("article")
    if getattr(article, "summary", ""):
        return Truncator(article.summary).chars(300)
    drug = context.get("drug")
    if getattr(drug, "how_it_works", ""):
        return Truncator(drug.how_it_works).chars(300)
    match = getattr(context.get("request"), "resolver_match", None)
    return DESCRIPTIONS.get(match.view_name if match else "", DEFAULT_DESCRIPTION)
