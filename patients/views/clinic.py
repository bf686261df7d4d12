"""The clinician's side: linked patients, one patient's record, and checklists.

Every view starts from `linked_patients` (through the guards), so a revoked link or a pending
account answers 404; every view of a patient's data is recorded for the patient to read.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.care import (
    is_approved_clinician,
    linked_patients,
    open_invitations,
    patient_summaries,
    record_access,
    record_listing,
)
from patients.checklists import (
    add_item,
    create_checklist,
    progress_of,
    remove_item,
    set_due_date,
    share_checklist,
    unverify_item,
    verify_item,
    with_items,
)
from patients.forms.care import DoseOverrideForm, PatientFilterForm
from patients.forms.checklists import (
    ChecklistItemForm,
    DueDateForm,
    NewChecklistForm,
    VerifyItemForm,
)
from patients.models import (
    AccessAction,
    Checklist,
    ClinicianStatus,
    Treatment,
)
from patients.travel.trips import trips_with_letters
from patients.treatments.reads import overview, treatments_with_care_data
from patients.treatments.writes import move_dose
from patients.views.checklists import checklist_context
from patients.views.guards import (
    approved_clinician_required,
    clinician_required,
    get_checklist_for_clinician,
    get_item_for_clinician,
    get_patient_for_clinician,
)
from patients.views.journal_blocks import clinic_dashboard_flags, clinic_patient_journal_context

PATIENTS_PAGE_SIZE = 50

# A checklist item's row, answered to htmx (the checklist page includes the same partial).
ITEM = "clinic/checklist_partials.html#item"


@require_GET
@clinician_required
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    if not is_approved_clinician(request.user):
        profile = getattr(request.user, "clinician_profile", None)
        refused = profile is not None and profile.status == ClinicianStatus.REFUSED
        return render(request, "clinic/pending.html", {"refused": refused})
    today = timeutils.local_today(request.user.zone)
    form = PatientFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = patient_summaries(
        request.user, today=today, query=filters.get("q", ""), show=filters.get("show", "")
    )
    page = Paginator(rows, PATIENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    record_listing(patient_ids=[p.pk for p in page], actor=request.user, now=timezone.now())
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query_string": _without_page(request),
        "invitations": open_invitations(request.user, now=timezone.now()),
    }
    context.update(clinic_dashboard_flags(request, today))
    template = "clinic/dashboard.html#patients" if request.htmx else "clinic/dashboard.html"
    return render(request, template, context)


def _without_page(request: HtmxHttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _patient_page(request: HtmxHttpRequest, patient, *, override_forms=None):
    today = timeutils.local_today(patient.zone)
    overviews = [overview(t, today=today) for t in treatments_with_care_data(patient)]
    override_forms = override_forms or {}
    for ov in overviews:
        ov_form = override_forms.get(ov.treatment.pk) or _move_form(ov, today)
        ov.treatment.override_form = ov_form
    checklists = with_items(Checklist.objects.filter(patient=patient))
    context = {
        "patient": patient,
        "overviews": overviews,
        "checklists": [(c, progress_of(c.all_items)) for c in checklists],
        "trips": trips_with_letters(patient, today=today),
        "today": today,
    }
    context.update(clinic_patient_journal_context(request, patient, overviews))
    record_access(
        patient=patient, actor=request.user, action=AccessAction.VIEWED_RECORD, now=timezone.now()
    )
    return render(request, "clinic/patient.html", context)


def _move_form(ov, today, data=None) -> DoseOverrideForm:
    prefix = f"move-{ov.treatment.pk}"
    return DoseOverrideForm(data, upcoming=ov.upcoming[:12], today=today, prefix=prefix)


@require_GET
@approved_clinician_required
def patient(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _patient_page(request, get_patient_for_clinician(request, pk))


@require_POST
@approved_clinician_required
def move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Set a dose-date override for a linked patient's treatment."""
    treatment = get_object_or_404(
        Treatment.objects.active().select_related("patient", "drug", "regimen"),
        pk=pk,
        patient__in=linked_patients(request.user),
    )
    patient = treatment.patient
    today = timeutils.local_today(patient.zone)
    form = _move_form(overview(treatment, today=today), today, request.POST)
    if not form.is_valid():
        return _patient_page(request, patient, override_forms={treatment.pk: form})
    move_dose(
        treatment=treatment,
        dose_number=form.cleaned_data["dose_number"],
        on=form.cleaned_data["date"],
        by=request.user,
    )
    messages.success(
        request,
        _("Dose %(number)s moved. The patient sees the new date and the reminders follow it.")
        % {"number": form.cleaned_data["dose_number"]},
    )
    return redirect(
        f"{reverse('patients:clinic_patient', args=[patient.pk])}#treatment-{treatment.pk}"
    )


@require_http_methods(["GET", "POST"])
@approved_clinician_required
def new_checklist(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_clinician(request, pk)
    if request.method == "POST":
        form = NewChecklistForm(request.POST)
        if form.is_valid():
            now = timezone.now()
            checklist = create_checklist(
                patient=patient, drug=form.cleaned_data["drug"], clinician=request.user, now=now
            )
            messages.success(
                request,
                _("Draft created. Remove or add items, set due dates, then share it."),
            )
            return redirect("patients:clinic_checklist", checklist.pk)
    else:
        planned = patient.treatments.filter(stopped_on__isnull=True).values("drug").first()
        form = NewChecklistForm(initial={"drug": planned["drug"] if planned else None})
    return render(request, "clinic/checklist_new.html", {"form": form, "patient": patient})


def _checklist_page(request: HtmxHttpRequest, pk: int, *, forms=None):
    checklist = get_checklist_for_clinician(request, pk, full=True)
    today = timeutils.local_today(request.user.zone)
    forms = forms or {}
    for item in checklist.all_items:
        item.verify_form = forms.get(("verify", item.pk)) or _verify_form(item, today)
        item.due_form = forms.get(("due", item.pk)) or _due_form(item)
    context = {
        "checklist": checklist,
        "patient": checklist.patient,
        "items": checklist.all_items,
        "progress": progress_of(checklist.all_items),
        "add_form": forms.get("add") or ChecklistItemForm(),
        "events": checklist.events.all()[:100],
    }
    record_access(
        patient=checklist.patient,
        actor=request.user,
        action=AccessAction.VIEWED_CHECKLIST,
        now=timezone.now(),
    )
    return render(request, "clinic/checklist.html", context)


def _verify_form(item, today, data=None) -> VerifyItemForm:
    initial = {"done_on": item.done_on or today, "result": item.result}
    return VerifyItemForm(data, item=item, today=today, initial=initial, prefix=f"verify-{item.pk}")


def _due_form(item, data=None) -> DueDateForm:
    return DueDateForm(data, initial={"due_on": item.due_on}, prefix=f"due-{item.pk}")


@require_GET
@approved_clinician_required
def checklist(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _checklist_page(request, pk)


@require_POST
@approved_clinician_required
def share(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_clinician(request, pk)
    now = timezone.now()
    if share_checklist(checklist=checklist, actor=request.user, now=now):
        messages.success(request, _("Shared. The patient is notified in the app and by e-mail."))
    return redirect("patients:clinic_checklist", pk)


@require_POST
@approved_clinician_required
def add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_clinician(request, pk)
    form = ChecklistItemForm(request.POST)
    if not form.is_valid():
        return _checklist_page(request, pk, forms={"add": form})
    now = timezone.now()
    item = add_item(checklist=checklist, actor=request.user, now=now, **form.cleaned_data)
    messages.success(request, _("Item added."))
    return redirect(f"{reverse('patients:clinic_checklist', args=[pk])}#item-{item.pk}")


def _item_response(request: HtmxHttpRequest, item, *, today):
    """htmx: the item's row again; otherwise back to the checklist, at the item."""
    if request.htmx:
        item.verify_form = _verify_form(item, today)
        item.due_form = _due_form(item)
        return render(
            request,
            ITEM,
            {"item": item, "checklist": item.checklist},
        )
    return redirect(
        f"{reverse('patients:clinic_checklist', args=[item.checklist_id])}#item-{item.pk}"
    )


@require_http_methods(["GET", "POST"])
@approved_clinician_required
def verify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the item's forms on their own page (without JavaScript); POST: verify."""
    item = get_item_for_clinician(request, pk)
    today = timeutils.local_today(request.user.zone)
    form = _verify_form(item, today, request.POST if request.method == "POST" else None)
    if request.method == "GET":  # the item, its note and result: a view of the patient's data
        record_access(
            patient=item.checklist.patient,
            actor=request.user,
            action=AccessAction.VIEWED_CHECKLIST,
            now=timezone.now(),
        )
    if form.is_valid():
        now = timezone.now()
        verify_item(
            item=item,
            done_on=form.cleaned_data["done_on"],
            result=form.cleaned_data["result"],
            actor=request.user,
            now=now,
        )
        return _item_response(request, item, today=today)
    item.verify_form = form
    item.due_form = _due_form(item)
    return _item_form_page(request, item)


def _item_form_page(request: HtmxHttpRequest, item):
    context = {"item": item, "checklist": item.checklist, "patient": item.checklist.patient}
    template = ITEM if request.htmx else "clinic/item_form.html"
    return render(request, template, context)


@require_POST
@approved_clinician_required
def due(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_item_for_clinician(request, pk)
    today = timeutils.local_today(request.user.zone)
    form = _due_form(item, request.POST)
    if not form.is_valid():
        item.verify_form = _verify_form(item, today)
        item.due_form = form
        return _item_form_page(request, item)
    now = timezone.now()
    set_due_date(item=item, due_on=form.cleaned_data["due_on"], actor=request.user, now=now)
    return _item_response(request, item, today=today)


@require_POST
@approved_clinician_required
def unverify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_item_for_clinician(request, pk)
    now = timezone.now()
    unverify_item(item=item, actor=request.user, now=now)
    return _item_response(request, item, today=timeutils.local_today(request.user.zone))


@require_POST
@approved_clinician_required
def remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_item_for_clinician(request, pk)
    now = timezone.now()
    checklist_id, label = item.checklist_id, item.label
    remove_item(item=item, actor=request.user, now=now)
    if request.htmx:
        # A status line in the item's place takes the focus (it would fall to <body>).
        return render(request, "clinic/checklist_partials.html#removed", {"label": label})
    messages.success(request, _("“%(label)s” removed from the checklist.") % {"label": label})
    return redirect("patients:clinic_checklist", checklist_id)


@require_GET
@approved_clinician_required
def checklist_print(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    checklist = get_checklist_for_clinician(request, pk, full=True)
    record_access(
        patient=checklist.patient,
        actor=request.user,
        action=AccessAction.PRINTED_CHECKLIST,
        now=timezone.now(),
    )
    return render(request, "patients/checklist_print.html", checklist_context(checklist))
