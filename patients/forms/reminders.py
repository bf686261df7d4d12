"""The patient's reminder settings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages
from patients.models import (
    LEAD_DAY_CHOICES,
    ReminderSettings,
)


class ReminderSettingsForm(RequiredMessages, forms.ModelForm):
    lead_days = forms.TypedMultipleChoiceField(
        label=_("Remind me of a coming dose"),
        choices=LEAD_DAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day, or pause the reminders.")},
    )
    hour = forms.TypedChoiceField(
        label=_("At"),
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
        help_text=_("In your home time zone (set in your profile)."),
    )

    injection_time = forms.TimeField(
        label=_("I usually inject at"),
        required=False,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time between 00:00 and 23:59, such as 20:30.")},
        help_text=_(
            "Optional, in your home time zone. On the day of a dose, we remind you to take your "
            "injection out of the fridge as long before this time as its package leaflet says."
        ),
    )

    class Meta:
        model = ReminderSettings
        fields = (
            "lead_days",
            "hour",
            "by_email",
            "in_app",
            "by_push",
            "paused",
            "injection_time",
            "get_ready_by_email",
            "calendar_discreet",
        )
        # One choice for every channel; the column keeps its old name.
        labels = {  # noqa: RUF012
            "calendar_discreet": _("Discreet: no medicine name"),
            "get_ready_by_email": _("Also send this “get ready” reminder by e-mail"),
        }
        help_texts = {  # noqa: RUF012
            "get_ready_by_email": _(
                "It comes by notification and in the app as chosen above; by e-mail only if "
                "you tick this (and e-mail reminders are on)."
            ),
            "calendar_discreet": _(
                "Calendar events, reminder e-mails and notifications say “your treatment” "
                "instead of the medicine's name."
            ),
        }

    def clean_lead_days(self) -> list[int]:
        return sorted(set(self.cleaned_data["lead_days"]), reverse=True)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("paused") and not any(
            cleaned.get(flag) for flag in ("by_email", "in_app", "by_push")
        ):
            self.add_error(
                "by_email",
                _("Choose at least one way to be reminded, or pause the reminders."),
            )
        return cleaned
