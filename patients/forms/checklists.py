"""Pre-treatment checklists: the clinician's and the patient's forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import PlausibleDateField, RequiredMessages, not_in_future
from patients.models import (
    Result,
)
from therapies.models import CompletedBy, Drug


class NewChecklistForm(RequiredMessages, forms.Form):
    drug = forms.ModelChoiceField(
        label=_("Planned medicine"),
        queryset=Drug.objects.all(),
        help_text=_("The checklist starts from the checks for this medicine's class."),
    )


class ChecklistItemForm(RequiredMessages, forms.Form):
    required_messages = {  # noqa: RUF012
        "label": _("Write what is to be done, for example a chest X-ray."),
    }
    label = forms.CharField(label=_("Item"), max_length=120)
    completed_by = forms.ChoiceField(label=_("Who does it"), choices=CompletedBy.choices)
    records_result = forms.BooleanField(
        label=_("A result is recorded (normal, abnormal, follow-up needed)"), required=False
    )
    due_on = PlausibleDateField(label=_("Due date (optional)"), required=False, years_ahead=2)


class DueDateForm(RequiredMessages, forms.Form):
    due_on = PlausibleDateField(label=_("Due date"), required=False, years_ahead=2)


class ItemDoneForm(RequiredMessages, forms.Form):
    done_on = PlausibleDateField(label=_("Done on"))
    done_note = forms.CharField(
        label=_("Note (optional)"),
        max_length=500,
        required=False,
        help_text=_("For example the laboratory. Your specialist reads it."),
    )

    def __init__(self, *args, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["done_on"].validators.append(not_in_future(today))


class VerifyItemForm(RequiredMessages, forms.Form):
    done_on = PlausibleDateField(label=_("Done on"))
    result = forms.ChoiceField(
        label=_("Result"), choices=[("", "—"), *Result.choices], required=False
    )

    def __init__(self, *args, item, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["done_on"].validators.append(not_in_future(today))
        if item.records_result:
            self.fields["result"].required = True
            self.fields["result"].error_messages["required"] = _("Choose the result.")
        else:
            del self.fields["result"]

    def clean(self):
        cleaned = super().clean()
        cleaned.setdefault("result", "")
        return cleaned


class ShareLinkForm(RequiredMessages, forms.Form):
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(7, _("7 days")), (30, _("30 days"))],
        initial=7,
    )
