"""The journal's forms. Every input is bounded; a bad value gets a message on its field and
the page shows what was typed (nothing is saved)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages, date_input
from patients.journal.scores import BODY_REGIONS
from patients.models import HeldReason, SiteReaction
from patients.models.journal import NOTE_MAX, SHORT_TEXT_MAX

OLDEST = timedelta(days=5 * 366)  # a journal goes back five years at most
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
REGION_LABELS = {
    "head": _("A. Head and neck"),
    "arms": _("B. Arms"),
    "trunk_front": _("C. Chest and belly"),
    "trunk_back": _("D. Back and buttocks"),
    "legs": _("E. Legs"),
    "hands_feet": _("F. Hands and feet"),
}


def _yes_no(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


def score_field(label, *, top: int = 10, help_text="") -> forms.IntegerField:
    # Formatted when shown, in the language of the request (the fields are built at import).
    message = lazy(lambda: _("Enter a whole number from 0 to %(top)s.") % {"top": top}, str)()
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=top,
        required=False,
        help_text=help_text,
        error_messages={"min_value": message, "max_value": message, "invalid": message},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": top}),
    )


class DayForm(RequiredMessages, forms.Form):
    """A date in the patient's home zone: not in the future, not more than five years ago."""

    date_field = "occurred_on"

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get(self.date_field)
        if day is not None and day > self.today:
            self.add_error(self.date_field, _("This date is in the future."))
        elif day is not None and day < self.today - OLDEST:
            self.add_error(self.date_field, _("This date is more than five years ago."))
        return cleaned


class EntryForm(DayForm):
    occurred_on = forms.DateField(label=_("Date"), widget=date_input())
    site_reaction = forms.ChoiceField(
        label=_("Reaction at the injection site"),
        choices=SiteReaction.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    side_effects = forms.CharField(
        label=_("Other side effects (optional)"), max_length=SHORT_TEXT_MAX, required=False
    )
    serious = forms.BooleanField(
        label=_("It felt serious: I needed, or think I need, urgent care"), required=False
    )
    infection = forms.BooleanField(label=_("I have or had an infection"), required=False)
    infection_what = forms.CharField(
        label=_("What infection?"),
        max_length=SHORT_TEXT_MAX,
        required=False,
        help_text=_("For example: a cold, a urinary infection, a tooth abscess."),
    )
    fever = _yes_no(_("Fever?"))
    antibiotics = _yes_no(_("Antibiotics?"))
    seen_doctor = _yes_no(_("Seen by a doctor?"))
    dose_held = forms.BooleanField(label=_("A dose was held or delayed"), required=False)
    held_reason = forms.ChoiceField(
        label=_("Why?"),
        choices=HeldReason.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("infection") and not cleaned.get("infection_what"):
            self.add_error("infection_what", _("Say what infection, in a few words."))
        if cleaned.get("dose_held") and not cleaned.get("held_reason"):
            self.add_error("held_reason", _("Choose why the dose was held or delayed."))
        recorded = any(
            cleaned.get(name)
            for name in (
                "site_reaction",
                "side_effects",
                "serious",
                "infection",
                "dose_held",
                "note",
            )
        )
        if not self.errors and not recorded:
            raise forms.ValidationError(
                _("Nothing to save: choose a reaction, tick what happened or write a note.")
            )
        return cleaned

    def entry_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class ScoresForm(DayForm):
    date_field = "recorded_on"

    recorded_on = forms.DateField(label=_("Date"), widget=date_input())
    itch = score_field(
        _("Itch in the last 24 hours"),
        help_text=_("0: no itch at all; 10: the worst you can imagine."),
    )
    skin_overall = score_field(
        _("How is your skin overall?"),
        help_text=_("0: clear, no problem at all; 10: as bad as it has ever been."),
    )
    joint_pain = _yes_no(_("Joint pain?"))
    joint_pain_score = score_field(
        _("How bad is the joint pain?"),
        help_text=_("0: none; 10: the worst you can imagine. Tell your specialist about it."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for region in BODY_REGIONS:
            self.fields[f"palms_{region}"] = score_field(REGION_LABELS[region], top=100)
            self.fields[f"palms_{region}"].widget.attrs["class"] = "palms"

    @property
    def region_fields(self):
        return [self[f"palms_{region}"] for region in BODY_REGIONS]

    def clean(self):
        cleaned = super().clean()
        palms = {r: cleaned.get(f"palms_{r}") for r in BODY_REGIONS}
        given = {r: v for r, v in palms.items() if v is not None}
        if sum(given.values()) > 100:
            raise forms.ValidationError(
                _("The areas add up to more than 100 palms: the whole body is about 100 palms.")
            )
        if cleaned.get("joint_pain") is False and cleaned.get("joint_pain_score"):
            self.add_error("joint_pain_score", _("You answered no joint pain: leave this empty."))
        scores = ("itch", "skin_overall", "joint_pain", "joint_pain_score")
        if not self.errors and not given and all(cleaned.get(s) is None for s in scores):
            raise forms.ValidationError(_("Nothing to save: give at least one score."))
        cleaned["skin_areas"] = given if given else None
        return cleaned

    def score_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            "itch": data["itch"],
            "skin_overall": data["skin_overall"],
            "joint_pain": data["joint_pain"],
            "joint_pain_score": data["joint_pain_score"],
        }
        fields["skin_areas"] = data["skin_areas"] or {}
        return fields


class QuickItchForm(RequiredMessages, forms.Form):
    itch = forms.IntegerField(min_value=0, max_value=10)


class QuickReactionForm(RequiredMessages, forms.Form):
    reaction = forms.ChoiceField(choices=SiteReaction.choices)
    treatment = forms.IntegerField(min_value=1)


class ShareForm(RequiredMessages, forms.Form):
    clinician = forms.IntegerField(min_value=1)
    shared = forms.TypedChoiceField(choices=YES_NO, coerce=lambda v: v == "yes")
