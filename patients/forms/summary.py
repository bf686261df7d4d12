from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import RequiredMessages, date_input
from patients.models import VisitPreparation
from patients.summary.data import MAX_PERIOD_DAYS, Period


class PeriodForm(RequiredMessages, forms.Form):
    """The period a summary covers: bounded dates, a year at most, nothing after today."""

    start = forms.DateField(label=_("From"), widget=date_input())
    end = forms.DateField(label=_("To"), widget=date_input())

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        for name in ("start", "end"):
            self.fields[name].widget.attrs |= {
                "min": (today - timedelta(days=10 * 366)).isoformat(),
                "max": today.isoformat(),
            }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned
        if end > self.today:
            self.add_error("end", _("This date is in the future."))
        elif start > end:
            self.add_error("start", _("The period must start before it ends."))
        elif (end - start).days + 1 > MAX_PERIOD_DAYS:
            self.add_error("start", _("Choose a period of one year at most."))
        return cleaned

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])


class PreparationForm(RequiredMessages, forms.ModelForm):
    class Meta:
        model = VisitPreparation
        fields = ["last_visit_on", "condition", "questions"]
        labels = {
            "last_visit_on": _("Date of your last specialist visit (optional)"),
            "condition": _("What the treatment is for (optional)"),
            "questions": _("The questions you want to ask at the visit"),
        }
        help_texts = {
            "last_visit_on": _("The summary starts from this date, unless you choose another."),
            "condition": _("In your words, for example “plaque psoriasis”."),
            "questions": _(
                "Your specialists linked to you read them in your summary. 2,000 characters "
                "at most."
            ),
        }
        widgets = {
            "last_visit_on": date_input(),
            "questions": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        }

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["last_visit_on"].widget.attrs["max"] = today.isoformat()

    def clean_last_visit_on(self):
        day = self.cleaned_data["last_visit_on"]
        if day and day > self.today:
            raise forms.ValidationError(_("This date is in the future."))
        if day and day < self.today - timedelta(days=10 * 366):
            raise forms.ValidationError(_("Choose a date in the last ten years."))
        return day
