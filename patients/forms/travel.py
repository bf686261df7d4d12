"""A trip."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages, TripDateField, TripReturnDateField, date_input
from patients.models import (
    Trip,
)
from patients.timeutils import zone_name, zones_of

MAX_TRIP_DAYS = 366


class TripForm(RequiredMessages, forms.ModelForm):
    """A trip and the traveller's details for the letters.

    The destination's time zone is chosen among the zones of the chosen country: with htmx the
    list follows the country as it changes; without JavaScript a country whose zone is missing
    or from another country comes back with its own list and a message, nothing else lost.
    """

    required_messages = {  # noqa: RUF012
        "destination": _("Choose the country you are going to."),
        "departs_on": _("Enter the date you leave."),
        "returns_on": _("Enter the date you come back."),
        "means": _("Choose how you travel."),
        "spare_doses": _("Enter how many spare doses you take (0 for none)."),
        "traveller_name": _("Enter your full name, as on your passport."),
    }

    destination_time_zone = forms.ChoiceField(
        label=_("Time zone at the destination"),
        error_messages={
            "required": _("Choose the time zone at your destination."),
            "invalid_choice": _("Choose one of the time zones of this country."),
        },
    )

    class Meta:
        model = Trip
        fields = (
            "destination",
            "destination_time_zone",
            "departs_on",
            "returns_on",
            "means",
            "spare_doses",
            "traveller_name",
            "date_of_birth",
            "passport_number",
            "diagnosis",
            "list_packs",
        )
        field_classes = {  # noqa: RUF012
            "departs_on": TripDateField,
            "returns_on": TripReturnDateField,
        }
        widgets = {
            "departs_on": date_input(),
            "returns_on": date_input(),
            "date_of_birth": date_input(),
            "passport_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if self.is_bound:
            country = self.data.get("destination")
        else:
            country = self.initial.get("destination") or self.instance.destination
        zones = zones_of(country or "")
        self.fields["destination_time_zone"].choices = [("", "---------")] + [
            (zone, zone_name(zone)) for zone in zones
        ]
        if len(zones) == 1 and not self.is_bound:
            self.initial.setdefault("destination_time_zone", zones[0])
        self.fields["destination_time_zone"].help_text = (
            "" if zones else _("Choose the country first: its time zones are listed here.")
        )
        self.fields["passport_number"].help_text = _(
            "Optional: printed on the letters only. Never sent by e-mail."
        )

    def full_clean(self):
        if self.is_bound:
            zones = zones_of(self.data.get("destination", ""))
            zone = self.data.get("destination_time_zone", "")
            if len(zones) == 1 and zone not in zones:
                self.data = self.data.copy()
                self.data["destination_time_zone"] = zones[0]
        super().full_clean()

    def clean(self):
        cleaned = super().clean()
        departs, returns = cleaned.get("departs_on"), cleaned.get("returns_on")
        if departs and returns:
            if returns < departs:
                self.add_error("returns_on", _("The return cannot be before the departure."))
            elif (returns - departs).days >= MAX_TRIP_DAYS:
                self.add_error(
                    "returns_on", _("Plan trips of up to a year; split a longer stay in parts.")
                )
        if departs and departs < self.today and departs != self.instance.departs_on:
            self.add_error("departs_on", _("The departure cannot be in the past."))
        born = cleaned.get("date_of_birth")
        if born and not (date(1900, 1, 1) <= born <= self.today):
            self.add_error("date_of_birth", _("Enter your real date of birth."))
        return cleaned
