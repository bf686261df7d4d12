"""Widgets and choices the forms of several features share."""

import zoneinfo
from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from patients.timeutils import zone_name
from therapies.dosing import add_months

# Every date a person enters lies in a plausible window (issue 17, item 2): nothing of this
# service happened before 2000 (the first anti-interleukin biologics came later), and nothing
# is planned more than a year or two ahead. A date outside is a field error, never a plan that
# walks 8,000 years of weekly doses.
EARLIEST_DATE = date(2000, 1, 1)


class PlausibleDateField(forms.DateField):
    """A date between EARLIEST_DATE and `years_ahead` years after today."""

    def __init__(self, *args, years_ahead: int = 1, **kwargs) -> None:
        kwargs.setdefault("widget", date_input())
        self.years_ahead = years_ahead
        super().__init__(*args, **kwargs)

    def latest(self) -> date:
        return add_months(timezone.localdate(), 12 * self.years_ahead)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "min": EARLIEST_DATE.isoformat()}

    def validate(self, value) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        if value < EARLIEST_DATE:
            raise forms.ValidationError(
                _("Enter a date from %(date)s on."),
                code="too_early",
                params={"date": formats.date_format(EARLIEST_DATE, "DATE_FORMAT")},
            )
        if value > self.latest():
            raise forms.ValidationError(
                _("Enter a date no later than %(date)s."),
                code="too_late",
                params={"date": formats.date_format(self.latest(), "DATE_FORMAT")},
            )


class TripDateField(PlausibleDateField):
    """A departure: up to two years ahead."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, years_ahead=2, **kwargs)


class TripReturnDateField(PlausibleDateField):
    """A return: up to three years ahead (a trip lasts up to a year)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, years_ahead=3, **kwargs)


def date_input() -> forms.DateInput:
    """A native date picker; it only understands ISO dates, whatever the page's language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ZoneSelect(forms.Select):
    """The time-zone select: a model CharField gives its widget a maxlength, invalid on a
    <select> (the Nu Html Checker's error on sign-up and profile); dropped here."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("maxlength", None)
        return attrs


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone with a region, its IANA name as the value and a readable name as the label
    ("Paris (Europe)"), in the order of the labels: typing a city's first letters finds it."""
    zones = (z for z in zoneinfo.available_timezones() if "/" in z and "Etc/" not in z)
    return sorted(((z, str(zone_name(z))) for z in zones), key=lambda choice: choice[1])


def not_in_future(today):
    def check(value):
        if value > today:
            raise forms.ValidationError(_("This date is in the future."))

    return check


# Django's own "This field is required." says neither which field nor what to do (issue 18, D4).
GENERIC_REQUIRED = forms.Field.default_error_messages["required"]


def required_message(field: forms.Field) -> str:
    """A message for an empty required field, made from its label: what is missing, and how to
    give it. A form that knows a better wording gives it in `required_messages`."""
    label = field.label
    if not label:  # a button's value or a hidden field: only a tampered or broken form misses it
        return _("Something was missing from the form: please try again from the page.")
    if isinstance(field, forms.BooleanField):
        return _("Tick “%(label)s” to go on.") % {"label": label}
    if isinstance(field, forms.FileField):
        return _("Choose a file for “%(label)s”.") % {"label": label}
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return _("Choose an answer for “%(label)s”.") % {"label": label}
    return _("Fill in “%(label)s”.") % {"label": label}


class RequiredMessages:
    """A form mixin (put it before forms.Form / forms.ModelForm): every required field left
    empty says what is missing and how to fix it, never Django's generic message. A form may
    name its own wording per field in `required_messages` ({"taken_date": _("…")}). Every form
    of the app uses it (tests/patients/test_required_messages.py)."""

    required_messages: dict = {}  # noqa: RUF012 - read only

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in self.required_messages:
                field.error_messages["required"] = self.required_messages[name]
            elif field.error_messages.get("required") == GENERIC_REQUIRED:
                field.error_messages["required"] = lazy_required_message(field)


def lazy_required_message(field: forms.Field):
    """Made when shown, in the language of that moment."""
    return lazy(required_message, str)(field)
