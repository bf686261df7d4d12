"""The visit summary (HTML and PDF) for the patient and their linked specialists, the visit
preparation (last visit, condition, questions), sharing, and the FHIR export."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.care import record_access
from patients.forms.summary import PeriodForm, PreparationForm
from patients.models import AccessAction, CareLink, User, VisitPreparation
from patients.summary import document, fhir
from patients.summary.data import VisitSummary, build_summary, default_period
from patients.summary.prepare import save_preparation, share_summary
from patients.views.guards import (
    approved_clinician_required,
    get_patient_for_clinician,
    patient_required,
)


def _summary(request: HtmxHttpRequest, patient: User) -> tuple[VisitSummary, PeriodForm]:
    """The summary of the period asked for in the query string, else of the default period."""
    now = timezone.now()
    today = timeutils.local_today(patient.zone, now)
    form = PeriodForm(request.GET or None, today=today)
    if form.is_valid():
        period = form.period
    else:
        preparation = VisitPreparation.objects.filter(patient=patient).first()
        period = default_period(preparation=preparation, today=today)
        if not request.GET:
            form = PeriodForm(initial={"start": period.start, "end": period.end}, today=today)
    viewer = None if request.user.pk == patient.pk else request.user
    return build_summary(patient=patient, period=period, now=now, viewer=viewer), form


def _page(
    request: HtmxHttpRequest,
    summary,
    period_form,
    *,
    clinic: bool,
    preparation_form=None,
    status=200,
):
    patient = summary.patient
    context = {"s": summary, "made_by": request.user, "period_form": period_form, "clinic": clinic}
    if clinic:
        context["pdf_url"] = reverse("patients:clinic_summary_pdf", args=[patient.pk])
    else:
        context |= {
            "pdf_url": reverse("patients:visit_summary_pdf"),
            "preparation_form": preparation_form
            or PreparationForm(instance=summary.preparation, today=summary.today),
            "has_care_team": CareLink.objects.active().filter(patient=patient).exists(),
        }
    return render(request, "patients/summary/summary.html", context, status=status)


def _pdf(request: HtmxHttpRequest, summary: VisitSummary) -> HttpResponse:
    language = translation.get_language() or "fr"
    pdf = document.summary_pdf(summary, language=language, made_by=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.pdf_filename(summary)}"'
    return response


@never_cache
@require_GET
@patient_required
def summary(request: HtmxHttpRequest) -> HttpResponse:
    return _page(request, *_summary(request, request.user), clinic=False)


@never_cache
@require_GET
@patient_required
def summary_pdf(request: HtmxHttpRequest) -> HttpResponse:
    return _pdf(request, _summary(request, request.user)[0])


@require_POST
@patient_required
def prepare(request: HtmxHttpRequest) -> HttpResponse:
    preparation = VisitPreparation.objects.filter(patient=request.user).first()
    today = timeutils.local_today(request.user.zone)
    form = PreparationForm(request.POST, instance=preparation, today=today)
    if not form.is_valid():
        summary, period_form = _summary(request, request.user)
        return _page(request, summary, period_form, clinic=False, preparation_form=form, status=400)
    save_preparation(patient=request.user, **form.cleaned_data)
    messages.success(request, _("Your visit preparation is saved."))
    return redirect("patients:visit_summary")


@require_POST
@patient_required
def share(request: HtmxHttpRequest) -> HttpResponse:
    today = timeutils.local_today(request.user.zone)
    form = PeriodForm(request.POST, today=today)
    if not form.is_valid():
        messages.error(request, _("The period to share is not valid: choose it again."))
        return redirect("patients:visit_summary")
    share_summary(patient=request.user, period=form.period, now=timezone.now())
    messages.success(request, _("Your care team can see which period you want to talk about."))
    query = f"?start={form.period.start:%Y-%m-%d}&end={form.period.end:%Y-%m-%d}"
    return redirect(reverse("patients:visit_summary") + query)


def _patient_summary(request: HtmxHttpRequest, pk: int) -> tuple[VisitSummary, PeriodForm]:
    patient = get_patient_for_clinician(request, pk)
    result = _summary(request, patient)
    record_access(
        patient=patient, actor=request.user, action=AccessAction.MADE_SUMMARY, now=timezone.now()
    )
    return result


@never_cache
@require_GET
@approved_clinician_required
def clinic_summary(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _page(request, *_patient_summary(request, pk), clinic=True)


@never_cache
@require_GET
@approved_clinician_required
def clinic_summary_pdf(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _pdf(request, _patient_summary(request, pk)[0])


@never_cache
@require_GET
@patient_required
def export_fhir(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    bundle = fhir.build_bundle(patient=request.user, now=now)
    response = HttpResponse(fhir.bundle_json(bundle), content_type=fhir.CONTENT_TYPE)
    filename = fhir.export_filename(patient=request.user, now=now)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
