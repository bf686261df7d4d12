"""Widgets and choices the forms of several features share."""

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _


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
