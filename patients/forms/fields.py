"""Widgets and choices the forms of several features share."""

import zoneinfo
from datetime import date

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

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
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc/" not in z)
    return [(z, z.replace("_", " ")) for z in zones]


def not_in_future(today):
    def check(value):
        if value > today:
            raise forms.ValidationError(_("This date is in the future."))

    return check
