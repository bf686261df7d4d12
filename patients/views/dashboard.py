from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from patients import timeutils
from patients.treatments import overview, treatments_with_care_data
from patients.views.guards import patient_required
from patients.views.injections import pop_undo


@require_GET
@patient_required
def dashboard(request):
    today = timeutils.local_today(request.user.zone)
    overviews = [overview(t, today=today) for t in treatments_with_care_data(request.user)]
    if not overviews:
        return redirect("patients:start_treatment")
    context = {"overviews": overviews, "undo": pop_undo(request)}
    return render(request, "patients/dashboard.html", context)
