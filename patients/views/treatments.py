from django.contrib import messages
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.forms.treatments import PhotoForm, StartTreatmentForm, StockForm, read_code_only
from patients.treatments.writes import (
    TreatmentError,
    record_delivery,
    start_treatment,
    stop_treatment,
)
from patients.views.guards import get_treatment_for_user, patient_required
from patients.views.injections import pop_undo
from therapies.models import Regimen

HISTORY_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@patient_required
def start(request: HtmxHttpRequest) -> HttpResponse:
    """A therapy page's "I am treated with this medicine" POSTs `preselect=<INN>`: the form
    opens with that medicine chosen, and a drug name never appears in a URL or a log."""
    if request.method == "POST" and "preselect" not in request.POST:
        form = StartTreatmentForm(request.POST, patient=request.user)
        if form.is_valid():
            regimen = form.cleaned_data["regimen"]
            try:
                start_treatment(
                    patient=request.user,
                    drug=regimen.drug,
                    regimen=regimen,
                    first_dose_on=form.cleaned_data["first_dose_on"],
                    prescriber_name=form.cleaned_data["prescriber_name"],
                )
            except TreatmentError:
                form.add_error("regimen", _("You already follow a treatment with this medicine."))
            else:
                messages.success(request, _("Your treatment is set up. Here is your plan."))
                return redirect("patients:dashboard")
    else:
        initial = {"first_dose_on": timeutils.local_today(request.user.zone)}
        inn = request.POST.get("preselect", "")
        # An INN is a slug; anything else (a NUL, which PostgreSQL refuses in a query) is no INN.
        preselected = (
            Regimen.objects.filter(drug__inn=inn, is_default=True).first()
            if slug_re.fullmatch(inn)
            else None
        )
        if preselected:
            initial["regimen"] = preselected.pk
        form = StartTreatmentForm(patient=request.user, initial=initial)
    return render(request, "patients/start_treatment.html", {"form": form})


@require_http_methods(["GET", "POST"])
@patient_required
def add_stock(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A pack received. "Read the code" (the scanner submits it too) fills in the batch and
    expiry from the code and saves nothing; "Add to my stock" saves the pack."""
    treatment = get_treatment_for_user(request, pk)
    today = timeutils.local_today(request.user.zone)
    notice = None
    if request.method == "POST":
        form = StockForm(request.POST, today=today)
        valid = form.is_valid()
        if request.POST.get("action") == "read":
            read = form.pack_code
            form = read_code_only(form, today=today)
            notice = _("Code read: check the batch and expiry.") if read else None
        elif valid:
            record_delivery(treatment=treatment, **form.pack_fields())
            messages.success(request, _("Pack added to your stock."))
            return redirect("patients:dashboard")
    else:
        form = StockForm(today=today, initial={"received_on": today})
    context = {"form": form, "treatment": treatment, "notice": notice, "photo_form": PhotoForm()}
    return render(request, "patients/stock_form.html", context)


@require_http_methods(["GET"])
@patient_required
def history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    treatment = get_treatment_for_user(request, pk)
    entries = treatment.injections.live().order_by("-taken_at")
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"treatment": treatment, "page": page, "undo": pop_undo(request)}
    return render(request, "patients/history.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def stop(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    treatment = get_treatment_for_user(request, pk)
    if request.method == "POST":
        stop_treatment(treatment=treatment, on=timeutils.local_today(request.user.zone))
        messages.success(request, _("The treatment is stopped. Its history is kept."))
        return redirect("home")
    return render(request, "patients/treatment_confirm_stop.html", {"treatment": treatment})
