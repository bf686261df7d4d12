"""Taking one's data away: the export page, the JSON document and the PDF report.

Each person downloads their own data only (there is no id in these URLs); the responses are
`never_cache` (Cache-Control: no-store) so no shared cache or browser history keeps a copy.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from patients.privacy import export as exports
from patients.privacy.collect import collect


@never_cache
@require_GET
@login_required
def export(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "patients/export.html")


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_GET
@login_required
def export_json(request: HtmxHttpRequest) -> HttpResponse:
    data = collect(user=request.user, now=timezone.now())
    return _attachment(
        exports.export_json(data),
        "application/json; charset=utf-8",
        exports.export_filename(data, "json"),
    )


@never_cache
@require_GET
@login_required
def export_pdf(request: HtmxHttpRequest) -> HttpResponse:
    data = collect(user=request.user, now=timezone.now())
    return _attachment(
        exports.report_pdf(data), "application/pdf", exports.export_filename(data, "pdf")
    )
