from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest
from content.suggestions import safety_articles_for_drugs, suggest_articles
from patients import timeutils
from patients.models import ChecklistItem, Trip
from patients.treatments.reads import overview, treatments_with_care_data
from patients.views.guards import patient_page
from patients.views.injections import pop_undo
from patients.views.journal_blocks import dashboard_journal_context


@require_GET
@patient_page
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    today = timeutils.local_today(request.user.zone)
    overviews = [overview(t, today=today) for t in treatments_with_care_data(request.user)]
    if not overviews:
        return redirect("patients:start_treatment")
    next_trip = Trip.objects.filter(patient=request.user, returns_on__gte=today).first()
    context = {
        "overviews": overviews,
        "undo": pop_undo(request),
        "next_trip": next_trip,
        "suggestions": _suggested_reading(request, overviews, trip_planned=next_trip is not None),
        "safety_articles": _safety_reading(overviews),
    }
    context.update(dashboard_journal_context(request, overviews, today))
    return render(request, "patients/dashboard.html", context)


def _suggested_reading(request: HtmxHttpRequest, overviews, *, trip_planned: bool) -> list:
    """Two queries, whatever the patient has: open checklist items, then the articles."""
    open_checklist = ChecklistItem.objects.filter(
        checklist__patient=request.user, checklist__shared_at__isnull=False, done_at__isnull=True
    ).exists()
    return suggest_articles(
        language=(get_language() or "fr")[:2],
        drug_classes={ov.treatment.drug.drug_class for ov in overviews},
        before_first_injection=open_checklist or any(not ov.logged_count for ov in overviews),
        trip_planned=trip_planned,
    )


def _safety_reading(overviews) -> list:
    """The safety articles that apply to the patient's products: one query for all of them."""
    drugs = {ov.treatment.drug.inn: ov.treatment.drug for ov in overviews}.values()
    return safety_articles_for_drugs(drugs, language=(get_language() or "fr")[:2])
