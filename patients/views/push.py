"""Push devices on the reminder settings page: add (after a button press), remove, test."""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from patients.devices import TooManyDevices, add_device, remove_device, send_test_notification
from patients.forms.push import PushSubscriptionForm
from patients.models import MAX_DEVICES, PushSubscription
from patients.views.guards import patient_required


def device_label(user_agent: str) -> str:
    """A name the patient can recognise, from the browser's User-Agent."""
    ua = user_agent.lower()
    browser = next(
        (
            name
            for key, name in (
                ("edg/", "Edge"),
                ("firefox", "Firefox"),
                ("chrome", "Chrome"),
                ("safari", "Safari"),
            )
            if key in ua
        ),
        _("Browser"),
    )
    system = next(
        (
            name
            for key, name in (
                ("iphone", "iPhone"),
                ("ipad", "iPad"),
                ("android", "Android"),
                ("mac os", "Mac"),
                ("windows", "Windows"),
                ("linux", "Linux"),
            )
            if key in ua
        ),
        "",
    )
    return f"{browser} · {system}" if system else browser


@require_POST
@patient_required
def subscribe(request: HtmxHttpRequest) -> HttpResponse:
    """Called by the page's script with what `PushManager.subscribe()` gave; JSON answers."""
    form = PushSubscriptionForm(request.POST)
    if not form.is_valid():
        error = next(iter(form.errors.values()))[0]
        return JsonResponse({"error": str(error)}, status=400)
    data = form.cleaned_data["subscription"]
    label = form.cleaned_data["label"] or device_label(request.headers.get("User-Agent", ""))
    try:
        subscription = add_device(patient=request.user, label=label[:80], **data)
    except TooManyDevices:
        message = _("You already have %(count)d devices. Remove one first.") % {
            "count": MAX_DEVICES
        }
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"id": subscription.pk, "label": subscription.label}, status=201)


@require_POST
@patient_required
def remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(PushSubscription, pk=pk, patient=request.user)
    remove_device(subscription=subscription)
    messages.success(request, _("Device removed: it will get no more notifications."))
    return redirect("patients:reminder_settings")


@require_POST
@patient_required
def test(request: HtmxHttpRequest) -> HttpResponse:
    reached = send_test_notification(patient=request.user, now=timezone.now())
    if reached:
        messages.success(request, _("Test notification sent. It should show in a moment."))
    else:
        messages.error(request, _("No device could be reached. Turn notifications on again."))
    return redirect("patients:reminder_settings")
