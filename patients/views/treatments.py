from django.contrib import messages
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.forms.stock import PhotoForm, StockForm, read_code_only
from patients.forms.treatments import PresentationForm, StartTreatmentForm
from patients.models import Treatment
from patients.treatments.injections import first_dose_is_long_ago
from patients.treatments.writes import (
    TreatmentError,
    record_delivery,
    set_presentation,
    start_treatment,
    stop_treatment,
)
from patients.views.guards import get_treatment_for_user, patient_required
from patients.views.injections import pop_undo
from therapies.models import Regimen

HISTORY_PAGE_SIZE = 50


def started_notice(treatment: Treatment) -> str:
    """What was saved: the medicine, the first injection and the doses logged at once."""
    values = {
        "inn": treatment.drug.inn,
        "date": formats.date_format(treatment.first_dose_on, "l j F Y"),
        "count": treatment.injections.live().count(),
    }
    if values["count"]:
        return (
            ngettext(
                "Treatment with %(inn)s started on %(date)s; %(count)s dose logged.",
                "Treatment with %(inn)s started on %(date)s; %(count)s doses logged.",
                values["count"],
            )
            % values
        )
    return _("Treatment with %(inn)s started on %(date)s. Here is your plan.") % values


def stock_notice(*, devices: int, received_on, **_fields) -> str:
    """What was saved: "3 devices received on Wednesday 2 December 2026, added to your stock"."""
    values = {"count": devices, "date": formats.date_format(received_on, "l j F Y")}
    return (
        ngettext(
            "%(count)s device received on %(date)s, added to your stock.",
            "%(count)s devices received on %(date)s, added to your stock.",
            devices,
        )
        % values
    )


@require_http_methods(["GET", "POST"])
@patient_required
def start(request: HtmxHttpRequest) -> HttpResponse:
    """A therapy page's "I am treated with this medicine" POSTs `preselect=<INN>`: the form
    opens with that medicine chosen, and a drug name never appears in a URL or a log."""
    if request.method == "POST" and "preselect" not in request.POST:
        form = StartTreatmentForm(request.POST, patient=request.user)
        # "revise" (from the confirmation step) shows the filled form again, unsaved.
        valid = form.is_valid() and "revise" not in request.POST
        if valid and not form.cleaned_data["confirm"]:
            first_dose_on = form.cleaned_data["first_dose_on"]
            if first_dose_is_long_ago(first_dose_on=first_dose_on, today=form.today):
                context = {"form": form, "confirm_first_dose": first_dose_on}
                return render(request, "patients/start_treatment.html", context)
        if valid:
            regimen = form.cleaned_data["regimen"]
            try:
                treatment = start_treatment(
                    patient=request.user,
                    drug=regimen.drug,
                    regimen=regimen,
                    first_dose_on=form.cleaned_data["first_dose_on"],
                    prescriber_name=form.cleaned_data["prescriber_name"],
                    presentation_key=form.cleaned_data["presentation_key"],
                    condition=form.cleaned_data["condition"],
                    last_dose_on=form.cleaned_data["last_dose_on"],
                )
            except TreatmentError:
                form.add_error("regimen", _("You already follow a treatment with this medicine."))
            else:
                messages.success(request, started_notice(treatment))
                return redirect("patients:dashboard")
    else:
        initial = {"first_dose_on": timeutils.local_today(request.user.zone)}
        inn = request.POST.get("preselect", "")
        # An INN is a slug; anything else (a NUL, which PostgreSQL refuses in a query) is no INN.
        # Preselected only when the medicine has a single regimen and a single device: where the
        # label has options (weight, condition, strength), the patient chooses them explicitly.
        regimens = list(Regimen.objects.filter(drug__inn=inn)[:2]) if slug_re.fullmatch(inn) else []
        if len(regimens) == 1:
            initial["regimen"] = regimens[0].pk
            initial["condition"] = regimens[0].indication
        if regimens and len(regimens[0].drug.presentation_rows) == 1:
            initial["presentation"] = f"{inn}:{regimens[0].drug.presentation_rows[0]['key']}"
        form = StartTreatmentForm(patient=request.user, initial=initial)
    return render(request, "patients/start_treatment.html", {"form": form})


@require_http_methods(["GET", "POST"])
@patient_required
def set_device(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A treatment started before the app asked which device: the patient says it once."""
    treatment = get_treatment_for_user(request, pk)
    form = PresentationForm(request.POST or None, treatment=treatment)
    if request.method == "POST" and form.is_valid():
        try:
            set_presentation(
                treatment=treatment, presentation_key=form.cleaned_data["presentation"]
            )
        except TreatmentError:
            form.add_error("presentation", _("This device cannot give the doses of your plan."))
        else:
            messages.success(request, _("Your device is saved: each dose now counts its devices."))
            return redirect("patients:dashboard")
    return render(request, "patients/device_form.html", {"form": form, "treatment": treatment})


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
            messages.success(request, stock_notice(**form.cleaned_data))
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
