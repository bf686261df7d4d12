"""Decorators and fetch-for-this-user helpers: another person's object answers 404."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404

from patients.models import Injection, Treatment
from patients.treatments import treatments_with_care_data


def patient_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_patient:
            raise Http404("Only patients have a treatment.")
        return view(request, *args, **kwargs)

    return wrapper


def get_treatment_for_user(request, pk: int, *, care_data: bool = False) -> Treatment:
    """An active treatment of the signed-in patient; `care_data` prefetches what overview needs."""
    if care_data:
        treatments = treatments_with_care_data(request.user)
    else:
        treatments = Treatment.objects.for_patient(request.user).active()
    return get_object_or_404(treatments, pk=pk)


def get_injection_for_user(request, pk: int, *, deleted: bool = False) -> Injection:
    injections = Injection.objects.select_related(
        "treatment__patient", "treatment__drug", "treatment__regimen"
    ).filter(
        treatment__patient=request.user,
        treatment__stopped_on__isnull=True,
        deleted_at__isnull=not deleted,
    )
    return get_object_or_404(injections, pk=pk)
