"""Packs received: the box's code read from a photo (decoded on the server, never stored).

The app takes no file anywhere else (settings.FILE_UPLOAD_HANDLERS drops every file part); this
view alone swaps in a handler that keeps one image in memory, bounded in size. The handlers
must be set before anything reads request.POST, CSRF included: hence `csrf_exempt` outside and
`csrf_protect` inside, as Django's upload-handler documentation describes.
"""

import io

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.forms.stock import PhotoForm, StockForm
from patients.treatments import packs
from patients.views.guards import get_treatment_for_user, patient_required


class BoundedImageUpload(FileUploadHandler):
    """One image part kept in memory up to MAX_PHOTO_BYTES; anything else is dropped."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > packs.MAX_PHOTO_BYTES + 64 * 1024:
            raise StopUpload(connection_reset=False)
        return None

    def new_file(self, field_name, file_name, content_type, *args, **kwargs):
        if field_name != "photo" or not content_type.startswith("image/"):
            raise SkipFile
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if self.buffer.tell() + len(raw_data) > packs.MAX_PHOTO_BYTES:
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size, None
        )


@csrf_exempt
@require_POST
@patient_required
def stock_photo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    request.upload_handlers = [BoundedImageUpload(request)]
    return _stock_photo(request, pk)


@csrf_protect
def _stock_photo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Decode the photo and show the pack form filled in; nothing is saved until the patient
    confirms it with "Add to my stock"."""
    treatment = get_treatment_for_user(request, pk)
    today = timeutils.local_today(request.user.zone)
    photo_form = PhotoForm(request.POST, request.FILES)
    initial = {"received_on": today}
    status = 200
    if photo_form.is_valid():
        read = photo_form.pack_code
        initial |= {"code": read.hri, "batch": read.batch, "expires_on": read.expires_on}
        notice = _("Code read: check the batch and expiry, then add the pack.")
    else:
        notice = None
        status = 422
    form = StockForm(today=today, initial=initial)
    context = {"form": form, "photo_form": photo_form, "treatment": treatment, "notice": notice}
    return render(request, "patients/stock_form.html", context, status=status)
