"""Trips and their letters: the patient's planner, the clinician's approval, public verification.

Letters carry a passport number when the patient gives one: every letter response is
`never_cache` (Cache-Control: no-store) and nothing about a letter is logged.
"""

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import pdf, timeutils
from patients.care import has_approved_clinician, record_access
from patients.forms.travel import TripForm
from patients.models import AccessAction, Letter, LetterKind, Trip
from patients.signin_limits import client_ip
from patients.travel import letters
from patients.travel.letters import LetterView
from patients.travel.offline import keep_offline, offline_urls
from patients.travel.plan import trip_plan
from patients.travel.trips import letter_rows, plan_trip, revoke_letters, update_trip
from patients.views.guards import (
    approved_clinician_required,
    get_trip_for_clinician,
    get_trip_for_patient,
    patient_page,
    patient_required,
)

# The public verification page: at most this many lookups per address and minute.
VERIFY_RATE = 20


def letter_kind(kind: str) -> str:
    if kind not in LetterKind.values:
        raise Http404("No such letter.")
    return kind


# --- The patient's planner -----------------------------------------------------------------------


@require_GET
@patient_page
def trips(request: HtmxHttpRequest) -> HttpResponse:
    today = timeutils.local_today(request.user.zone)
    mine = Trip.objects.filter(patient=request.user)
    context = {
        "upcoming": [t for t in mine if t.returns_on >= today],
        "past": [t for t in mine if t.returns_on < today][::-1],
    }
    return render(request, "patients/trips.html", context)


def _zone_only(request: HtmxHttpRequest) -> bool:
    """htmx asks for the time zones of the country just chosen. It POSTs the country, so the
    destination of a trip never appears in a URL (nor in the access log)."""
    return bool(request.htmx) and request.method == "POST" and "zone_only" in request.POST


def _trip_form(request: HtmxHttpRequest, trip: Trip | None = None):
    """Bound to a submitted trip; unbound (nothing saved) for a first display or a zone list."""
    today = timeutils.local_today(request.user.zone)
    if request.method == "POST" and not _zone_only(request):
        return TripForm(request.POST, instance=trip, today=today)
    # A new trip starts from the account's name; an edited one shows what is stored (issue 17,
    # item 5: the display name replaced the passport name and revoked the approved letters).
    initial = {"traveller_name": request.user.display_name} if trip is None else {}
    last = (
        Trip.objects.filter(patient=request.user).order_by("-pk").first() if trip is None else None
    )
    if last is not None:  # the traveller's details rarely change between trips
        initial |= {"traveller_name": last.traveller_name, "date_of_birth": last.date_of_birth}
    if _zone_only(request):  # the country was just chosen: list its time zones
        initial["destination"] = request.POST.get("destination", "")[:2]
    return TripForm(instance=trip, initial=initial, today=today)


def _render_trip_form(request: HtmxHttpRequest, form, trip=None):
    template = "patients/trip_form.html"
    if _zone_only(request):
        template += "#zone-field"  # the time zones of the country just chosen
    return render(request, template, {"form": form, "trip": trip})


@never_cache
@require_http_methods(["GET", "POST"])
@patient_required
def new_trip(request: HtmxHttpRequest) -> HttpResponse:
    form = _trip_form(request)
    if form.is_bound and form.is_valid():
        trip = plan_trip(
            patient=request.user,
            now=timezone.now(),
            **{name: form.cleaned_data[name] for name in form.Meta.fields},
        )
        messages.success(request, _("Trip planned. Here is what it needs."))
        return redirect("patients:trip", trip.pk)
    return _render_trip_form(request, form)


@never_cache
@require_http_methods(["GET", "POST"])
@patient_required
def edit_trip(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    form = _trip_form(request, trip)
    if form.is_bound and form.is_valid():
        update_trip(
            trip=form.instance, changed=form.changed_data, by=request.user, now=timezone.now()
        )
        messages.success(request, _("Trip updated."))
        return redirect("patients:trip", trip.pk)
    return _render_trip_form(request, form, trip)


@require_http_methods(["GET", "POST"])
@patient_required
def delete_trip(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    if request.method == "POST":
        trip.delete()
        messages.success(request, _("Trip deleted, with its letters."))
        return redirect("patients:trips")
    return render(request, "patients/trip_confirm_delete.html", {"trip": trip})


@never_cache
@require_GET
@patient_required
def trip(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    today = timeutils.local_today(trip.patient.zone)
    context = {
        "trip": trip,
        "plan": trip_plan(trip),
        "letter_rows": letter_rows(trip),
        "has_clinician": has_approved_clinician(request.user),
        "offline_urls": offline_urls(request.user, today=today).get(str(trip.pk), []),
    }
    return render(request, "patients/trip.html", context)


def _view_for(trip: Trip, kind: str, *, with_clinician: bool) -> LetterView:
    today = timeutils.local_today(trip.patient.zone)
    return letters.letter_view(trip, kind, today=today, has_clinician=with_clinician)


@never_cache
@require_GET
@patient_required
def letter(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    view = _view_for(trip, letter_kind(kind), with_clinician=has_approved_clinician(request.user))
    return render(request, "patients/letter.html", {"trip": trip, **letters.letter_context(view)})


def _pdf_response(view: LetterView) -> HttpResponse:
    response = HttpResponse(
        pdf.render_pdf(letters.letter_html(view)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{letters.pdf_filename(view)}"'
    return response


@never_cache
@require_GET
@patient_required
def letter_pdf(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    return _pdf_response(
        _view_for(trip, letter_kind(kind), with_clinician=has_approved_clinician(request.user))
    )


@require_POST
@patient_required
def revoke_letter(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    if revoke_letters(trip=trip, by=request.user, now=timezone.now(), kind=letter_kind(kind)):
        messages.success(request, _("Letter revoked: its QR code now says so."))
    return redirect("patients:trip", trip.pk)


# --- The clinician's side ------------------------------------------------------------------------


@never_cache
@require_GET
@approved_clinician_required
def clinic_letter(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_clinician(request, pk)
    view = _view_for(trip, letter_kind(kind), with_clinician=True)
    record_access(
        patient=trip.patient,
        actor=request.user,
        action=AccessAction.VIEWED_LETTER,
        now=timezone.now(),
    )
    return render(request, "clinic/letter.html", {"trip": trip, **letters.letter_context(view)})


@never_cache
@require_GET
@approved_clinician_required
def clinic_letter_pdf(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_clinician(request, pk)
    record_access(
        patient=trip.patient,
        actor=request.user,
        action=AccessAction.VIEWED_LETTER,
        now=timezone.now(),
    )
    return _pdf_response(_view_for(trip, letter_kind(kind), with_clinician=True))


@require_POST
@approved_clinician_required
def clinic_approve_letter(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_clinician(request, pk)
    letters.approve_letter(
        trip=trip, kind=letter_kind(kind), clinician=request.user, now=timezone.now()
    )
    messages.success(request, _("Letter approved: the patient can print it with your name."))
    return redirect("patients:clinic_letter", trip.pk, kind)


@require_POST
@approved_clinician_required
def clinic_revoke_letter(request: HtmxHttpRequest, pk: int, kind: str) -> HttpResponse:
    trip = get_trip_for_clinician(request, pk)
    live = letters.live_letter(trip, letter_kind(kind))
    if live is not None and letters.revoke_letter(letter=live, by=request.user, now=timezone.now()):
        messages.success(request, _("Letter revoked: its QR code now says so."))
    return redirect("patients:clinic_letter", trip.pk, kind)


# --- Public verification -------------------------------------------------------------------------


def _too_many(request: HtmxHttpRequest) -> bool:
    # The client the app trusts (behind TRUSTED_PROXY_COUNT proxies, the address they saw), as
    # for log-ins: not the connection's, which behind a proxy is the proxy for everyone.
    minute = int(timezone.now().timestamp() // 60)
    key = f"verify-rate:{client_ip(request) or ''}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) > VERIFY_RATE
    except ValueError:  # evicted between add and incr
        return False


@never_cache
@require_GET
def verify_letter(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """What the QR code opens: valid / revoked / expired, and as little else as possible."""
    if _too_many(request):
        return render(request, "letters/verify_limited.html", status=429)
    letter = get_object_or_404(Letter.objects.select_related("approved_by"), token=token)
    today = timezone.localdate()
    context = {
        "letter": letter,
        "c": letter.content,
        "validity": letters.validity(letter, today=today),
    }
    return render(request, "letters/verify.html", context)


# --- Offline papers (the service worker's list) --------------------------------------------------


@never_cache
@require_GET
def offline_allowed(request: HtmxHttpRequest) -> HttpResponse:
    """What the service worker may keep: nothing for someone signed out (it then deletes all)."""
    user = request.user
    patient = user if user.is_authenticated and user.is_patient else None
    today = timeutils.local_today(patient.zone) if patient else timezone.localdate()
    return JsonResponse({"trips": offline_urls(patient, today=today)})


@require_POST
@patient_required
def trip_offline(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    trip = get_trip_for_patient(request, pk)
    keep = request.POST.get("keep") == "1"
    keep_offline(trip=trip, keep=keep)
    if keep:
        messages.success(
            request, _("This trip's papers will be kept on the devices where you open this site.")
        )
    else:
        messages.success(request, _("This trip's papers will be deleted from your devices."))
    return redirect("patients:trip", trip.pk)
