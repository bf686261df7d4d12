"""The stock form: a pack received, its code scanned, read from a photo or typed."""

from datetime import timedelta

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from patients.forms.fields import PlausibleDateField, RequiredMessages, date_input
from patients.models import (
    StockDelivery,
)
from patients.treatments import packs


def pack_label(pack: StockDelivery) -> str:
    """ "Batch AB12, expires on 31 March 2027": what tells two packs apart in a list."""
    batch = pack.batch or _("no batch recorded")
    received = formats.date_format(pack.received_on, "DATE_FORMAT")
    if pack.expires_on:
        return _("Batch %(batch)s, expires on %(date)s (received on %(received)s)") % {
            "batch": batch,
            "date": formats.date_format(pack.expires_on, "DATE_FORMAT"),
            "received": received,
        }
    return _("Batch %(batch)s (received on %(received)s)") % {"batch": batch, "received": received}


class StockForm(RequiredMessages, forms.Form):
    """A pack received. The box's code, scanned by the camera, read from a photo or typed,
    fills the batch, expiry and product code ("read" submits it without saving); batch and
    expiry may always be typed instead."""

    required_messages = {  # noqa: RUF012
        "received_on": _("Enter the date you received the devices."),
        "devices": _("Enter how many pens or syringes you received."),
    }

    code = forms.CharField(
        label=_("Code on the box (optional)"),
        max_length=packs.MAX_CODE_LENGTH,
        required=False,
        strip=False,
        help_text=_(
            "The numbers under or beside the square code, such as (01)…(17)…(10)…. "
            "Scanning fills it in."
        ),
    )
    received_on = PlausibleDateField(label=_("Received on"), widget=date_input())
    devices = forms.IntegerField(
        label=_("Number of devices (pens or syringes)"), min_value=1, max_value=100
    )
    batch = forms.CharField(label=_("Batch (Lot)"), max_length=20, required=False)
    expires_on = forms.DateField(label=_("Expiry date (EXP)"), widget=date_input(), required=False)

    def __init__(self, *args, today, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.pack_code: packs.PackCode | None = None

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > self.today:
            raise forms.ValidationError(_("This date is in the future."))
        if received_on < self.today - timedelta(days=3660):
            raise forms.ValidationError(_("Choose a date within ten years of today."))
        return received_on

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        if expires_on and not (
            self.today - timedelta(days=3660) <= expires_on <= self.today + timedelta(days=3660)
        ):
            raise forms.ValidationError(_("Choose a date within ten years of today."))
        return expires_on

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code.strip():
            try:
                self.pack_code = packs.parse_pack_code(code)
            except packs.CodeError as error:
                raise forms.ValidationError(str(error)) from None
        return code

    def clean(self):
        cleaned = super().clean()
        read = self.pack_code
        if read is not None:
            # What the code says wins over what was typed: the patient saw it filled in.
            if read.batch:
                cleaned["batch"] = read.batch
            if read.expires_on:
                cleaned["expires_on"] = read.expires_on
        return cleaned

    def pack_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "received_on": data["received_on"],
            "devices": data["devices"],
            "batch": data["batch"],
            "expires_on": data["expires_on"],
            "gtin": self.pack_code.gtin if self.pack_code else "",
        }


def read_code_only(form: StockForm, *, today) -> StockForm:
    """After "Read the code": the same form, unsaved, with the batch and expiry the code holds
    filled in; only a code that cannot be read is an error (the rest is not filled in yet)."""
    if form.errors.get("code"):
        errors = form.errors["code"]
        form.errors.clear()
        form.errors["code"] = errors
        return form
    data = form.data.copy()
    read = form.pack_code
    if read is not None:
        data["batch"] = read.batch or data.get("batch", "")
        if read.expires_on:
            data["expires_on"] = read.expires_on.isoformat()
    return StockForm(today=today, initial={k: v for k, v in data.items() if k in form.fields})


class PhotoForm(RequiredMessages, forms.Form):
    """A photo of the box's code, decoded on the server and dropped (never stored)."""

    photo = forms.FileField(
        label=_("Photo of the code"),
        allow_empty_file=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        if photo.size > packs.MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("This photo is too large (8 MB at most)."))
        try:
            self.pack_code = packs.parse_pack_code(packs.decode_photo(photo.read()))
        except packs.CodeError as error:
            raise forms.ValidationError(str(error)) from None
        return photo
