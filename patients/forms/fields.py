"""Widgets and choices the forms of several features share."""

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _


def date_input() -> forms.DateInput:
    """A native date picker; it only understands ISO dates, whatever the page's language."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc/" not in z)
    return [(z, z.replace("_", " ")) for z in zones]


def not_in_future(today):
    def check(value):
        if value > today:
            raise forms.ValidationError(_("This date is in the future."))

    return check
