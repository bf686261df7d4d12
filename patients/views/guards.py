"""Decorators and fetch-for-this-user helpers: another person's object answers 404."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from config.http import HtmxHttpRequest
from patients.care import is_approved_clinician, linked_patients
from patients.checklists import with_items
from patients.models import Checklist, ChecklistItem, Injection, Treatment, Trip, User
from patients.treatments.reads import treatments_with_care_data


def patient_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            raise Http404("Only patients have a treatment.")
        return view(request, *args, **kwargs)

    return wrapper


def patient_page(view):
    """A patient's own list page that articles link to (page:checklists, page:trips,
    page:dashboard): a clinician who follows such a link is sent to their own space, the clinic
    (issue 18, D11), not to a 404; anyone else who is not a patient still gets 404. Someone
    signed out goes to the log-in page and comes back here, to the page for their role."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_clinician:
            return redirect("patients:clinic")
        if not request.user.is_patient:
            raise Http404("Only patients have a treatment.")
        return view(request, *args, **kwargs)

    return wrapper


def get_treatment_for_user(
    request: HtmxHttpRequest, pk: int, *, care_data: bool = False
) -> Treatment:
    """An active treatment of the signed-in patient; `care_data` prefetches what overview needs."""
    if care_data:
        treatments = treatments_with_care_data(request.user)
    else:
        treatments = Treatment.objects.for_patient(request.user).active()
    return get_object_or_404(treatments, pk=pk)


def get_injection_for_user(
    request: HtmxHttpRequest, pk: int, *, deleted: bool = False
) -> Injection:
    injections = Injection.objects.select_related(
        "treatment__patient", "treatment__drug", "treatment__regimen"
    ).filter(
        treatment__patient=request.user,
        treatment__stopped_on__isnull=True,
        deleted_at__isnull=not deleted,
    )
    return get_object_or_404(injections, pk=pk)


def clinician_required(view):
    """Clinicians only (approved or not); everyone else gets 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_clinician:
            raise Http404("Only clinicians.")
        return view(request, *args, **kwargs)

    return wrapper


def approved_clinician_required(view):
    """Approved clinicians only: a pending or refused one sees no patient, answered 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_approved_clinician(request.user):
            raise Http404("Only approved clinicians.")
        return view(request, *args, **kwargs)

    return wrapper


def get_patient_for_clinician(request: HtmxHttpRequest, pk: int) -> User:
    """A patient linked to the signed-in clinician right now; a revoked link answers 404."""
    return get_object_or_404(linked_patients(request.user), pk=pk)


def checklists_for_clinician(request: HtmxHttpRequest):
    return Checklist.objects.filter(patient__in=linked_patients(request.user))


def get_checklist_for_clinician(
    request: HtmxHttpRequest, pk: int, *, full: bool = False
) -> Checklist:
    """`full`: with its items and the people on them (`with_items`)."""
    checklists = checklists_for_clinician(request).select_related("patient")
    return get_object_or_404(with_items(checklists) if full else checklists, pk=pk)


def get_item_for_clinician(request: HtmxHttpRequest, pk: int) -> ChecklistItem:
    items = ChecklistItem.objects.select_related("checklist__patient").filter(
        checklist__in=checklists_for_clinician(request)
    )
    return get_object_or_404(items, pk=pk)


def get_checklist_for_patient(
    request: HtmxHttpRequest, pk: int, *, full: bool = False
) -> Checklist:
    """Only shared checklists: a draft is the clinician's until they share it."""
    checklists = Checklist.objects.filter(
        patient=request.user, shared_at__isnull=False
    ).select_related("patient", "drug")
    return get_object_or_404(with_items(checklists) if full else checklists, pk=pk)


def get_item_for_patient(request: HtmxHttpRequest, pk: int) -> ChecklistItem:
    items = ChecklistItem.objects.select_related("checklist__patient", "checklist__drug").filter(
        checklist__patient=request.user, checklist__shared_at__isnull=False
    )
    return get_object_or_404(items, pk=pk)


def get_trip_for_patient(request: HtmxHttpRequest, pk: int) -> Trip:
    return get_object_or_404(
        Trip.objects.filter(patient=request.user).select_related("patient"), pk=pk
    )


def get_trip_for_clinician(request: HtmxHttpRequest, pk: int) -> Trip:
    """A trip of a patient linked to the signed-in clinician right now (its letters to approve)."""
    trips = Trip.objects.filter(patient__in=linked_patients(request.user)).select_related("patient")
    return get_object_or_404(trips, pk=pk)
