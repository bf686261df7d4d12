"""Reminder settings, the notifications list, the signed e-mail link and the calendar feed."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from config.http import HtmxHttpRequest
from patients import timeutils
from patients.accounts import update_reminder_settings
from patients.calendar import dose_calendar
from patients.forms.reminders import ReminderSettingsForm
from patients.models import MAX_DEVICES, Kind, Reminder, ReminderSettings, Treatment
from patients.models.reminders import new_calendar_token
from patients.reminders.links import reminder_from_link
from patients.treatments.reads import treatments_with_care_data
from patients.views.guards import patient_required

PAGE_SIZE = 50


def _settings_row(user) -> ReminderSettings:
    prefs, _created = ReminderSettings.objects.get_or_create(patient=user)
    return prefs


@require_http_methods(["GET", "POST"])
@patient_required
def reminder_settings(request: HtmxHttpRequest) -> HttpResponse:
    prefs = _settings_row(request.user)
    if request.method == "POST":
        form = ReminderSettingsForm(request.POST, instance=prefs)
        if form.is_valid():
            update_reminder_settings(prefs=form.save(commit=False), now=timezone.now())
            messages.success(request, _("Reminder settings saved."))
            return redirect("patients:reminder_settings")
    else:
        form = ReminderSettingsForm(instance=prefs)
    feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[prefs.calendar_token]))
    removed = prefs.push_removed
    if removed and request.method == "GET":  # said once
        ReminderSettings.objects.filter(pk=prefs.pk).update(push_removed=[])
    context = {
        "form": form,
        "feed_url": feed_url,
        "devices": list(request.user.push_subscriptions.all()),
        "removed_devices": removed,
        "max_devices": MAX_DEVICES,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
        # What the "get ready" reminder does for each treatment (or why it is not offered).
        "get_ready": list(
            Treatment.objects.for_patient(request.user).active().select_related("drug")
        ),
    }
    return render(request, "patients/reminder_settings.html", context)


@require_POST
@patient_required
def regenerate_calendar(request: HtmxHttpRequest) -> HttpResponse:
    """A new secret address: the old one stops working at once."""
    prefs = _settings_row(request.user)
    prefs.calendar_token = new_calendar_token()
    prefs.save(update_fields=["calendar_token"])
    messages.success(request, _("New calendar address created. The old one no longer works."))
    return redirect("patients:reminder_settings")


@require_GET
@patient_required
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """In-app notifications and the e-mails we sent (or could not), newest first."""
    reminders = Reminder.objects.filter(patient=request.user).select_related(
        "treatment__drug", "checklist__drug"
    )
    page = Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    unseen = [r.pk for r in page if r.read_at is None]
    if unseen:  # shown once as new, then marked as seen
        Reminder.objects.filter(pk__in=unseen).update(read_at=timezone.now())
    # One "discreet" choice for every channel (issue 17, item 11); discreet unless the patient
    # chose to see the medicine's name (no settings yet: the default, discreet).
    discreet = not ReminderSettings.objects.filter(
        patient=request.user, calendar_discreet=False
    ).exists()
    context = {"page": page, "unseen": set(unseen), "discreet": discreet}
    return render(request, "patients/notifications.html", context)


@require_GET
@patient_required
def open_reminder(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The link in a reminder e-mail: opens the right form, never records anything itself."""
    pk = reminder_from_link(token)
    if pk is None:
        raise Http404("Bad or expired link.")
    reminder = get_object_or_404(
        Reminder.objects.select_related("treatment"), pk=pk, patient=request.user
    )
    if reminder.checklist_id is not None:
        return redirect("patients:checklist", reminder.checklist_id)
    if reminder.trip_id is not None:
        return redirect("patients:trip", reminder.trip_id)
    treatment = reminder.treatment
    if treatment is None or treatment.stopped_on is not None:
        messages.info(request, _("This treatment is stopped."))
        return redirect("patients:dashboard")
    if reminder.kind == Kind.LOW_STOCK:
        return redirect("patients:add_stock", treatment.pk)
    if reminder.kind == Kind.PACK_EXPIRY:
        return redirect("patients:dashboard")
    if treatment.next_dose_number != reminder.dose_number:
        messages.info(request, _("This dose is already logged."))
        return redirect("patients:dashboard")
    log_url = reverse("patients:log_injection", args=[treatment.pk])
    return redirect(f"{log_url}?dose={reminder.dose_number}")


@never_cache
@require_safe  # GET, and HEAD (calendar apps check a subscription with it): no longer a 405
def calendar_feed(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The private feed: the token is the only key, so it must be long and unguessable."""
    prefs = get_object_or_404(
        ReminderSettings.objects.select_related("patient"),
        calendar_token=token,
        patient__is_active=True,
    )
    patient = prefs.patient
    with translation.override(patient.language):
        body = dose_calendar(
            treatments=treatments_with_care_data(patient, recent=False),
            prefs=prefs,
            today=timeutils.local_today(patient.zone),
            now=timezone.now(),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="injections.ics"'
    response["X-Robots-Tag"] = "noindex"
    if request.method == "HEAD":  # the same answer without its body, whatever the server
        response["Content-Length"] = str(len(body))
        response.content = b""
    return response
