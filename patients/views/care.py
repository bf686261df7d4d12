"""The care team: clinician sign-up, invitations both ways, links, and the access record."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients.care import (
    CareError,
    accept_invitation,
    cancel_invitation,
    check_invitation,
    create_invitation,
    find_invitation,
    open_invitations,
    revoke_link,
)
from patients.forms.care import ClinicianSignupForm, InvitationCodeForm
from patients.models import AccessEvent, CareLink, Invitation
from patients.views.accounts import next_url, signup_requested
from patients.views.guards import patient_required

ACCESS_PAGE_SIZE = 50
CODES_KEY = "invitation_codes"  # codes are shown only in the session that created them


@require_http_methods(["GET", "POST"])
def clinician_signup(request: HtmxHttpRequest) -> HttpResponse:
    """As the patient's sign-up: the same answer for every address; the second factor is set
    up once the e-mailed link is opened."""
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        form = ClinicianSignupForm(request.POST)
        if form.is_valid():
            user = form.save(commit=False)
            return signup_requested(request, user=user, profile=form.profile_fields())
    else:
        form = ClinicianSignupForm(initial={"time_zone": settings.DEFAULT_PATIENT_TIME_ZONE})
    context = {"form": form, "next": next_url(request)}
    return render(request, "registration/signup_clinician.html", context)


@require_GET
@patient_required
def care_team(request: HtmxHttpRequest) -> HttpResponse:
    now = timezone.now()
    links = (
        CareLink.objects.active()
        .filter(patient=request.user)
        .select_related("clinician__clinician_profile")
    )
    context = {
        "links": links,
        "invitations": open_invitations(request.user, now=now),
        "code_form": InvitationCodeForm(),
    }
    return render(request, "patients/care_team.html", context)


@require_http_methods(["GET", "POST"])
@patient_required
def revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(
        CareLink.objects.active().select_related("clinician__clinician_profile"),
        pk=pk,
        patient=request.user,
    )
    if request.method == "POST":
        revoke_link(link=link, now=timezone.now())
        messages.success(
            request,
            _("%(name)s can no longer see your data.") % {"name": link.clinician},
        )
        return redirect("patients:care_team")
    return render(request, "patients/link_confirm_revoke.html", {"link": link})


@require_GET
@patient_required
def access_log(request: HtmxHttpRequest) -> HttpResponse:
    events = AccessEvent.objects.filter(patient=request.user)
    page = Paginator(events, ACCESS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "retention_days": settings.ACCESS_LOG_RETENTION_DAYS}
    return render(request, "patients/access_log.html", context)


def _home_of(user) -> str:
    return "patients:clinic" if user.is_clinician else "patients:care_team"


@require_POST
@login_required
def new_invitation(request: HtmxHttpRequest) -> HttpResponse:
    try:
        invitation, code = create_invitation(by=request.user, now=timezone.now())
    except CareError as error:
        messages.error(request, str(error))
        return redirect(_home_of(request.user))
    request.session[CODES_KEY] = {**request.session.get(CODES_KEY, {}), str(invitation.pk): code}
    return redirect("patients:invitation", invitation.pk)


def _own_invitation(request: HtmxHttpRequest, pk: int) -> Invitation:
    return get_object_or_404(Invitation, pk=pk, created_by=request.user)


@require_GET
@login_required
def invitation(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    is_open = invitation.is_open(timezone.now())
    context = {
        "invitation": invitation,
        "code": request.session.get(CODES_KEY, {}).get(str(pk)) if is_open else None,
        "is_open": is_open,
        "home": _home_of(request.user),
    }
    return render(request, "patients/invitation.html", context)


@require_POST
@login_required
def cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = _own_invitation(request, pk)
    cancel_invitation(invitation=invitation, now=timezone.now())
    messages.success(request, _("The invitation is cancelled: its code no longer works."))
    return redirect(_home_of(request.user))


@require_http_methods(["GET", "POST"])
@login_required
def accept(request: HtmxHttpRequest) -> HttpResponse:
    """Enter a code (or follow the link, which fills it in and shows who invites); POST uses it."""
    now = timezone.now()
    if request.method == "POST":
        form = InvitationCodeForm(request.POST)
        if form.is_valid():
            try:
                link = accept_invitation(code=form.cleaned_data["code"], user=request.user, now=now)
            except CareError as error:
                form.add_error("code", str(error))
            else:
                return _linked(request, link)
        inviter = None
    else:
        form = InvitationCodeForm(request.GET if "code" in request.GET else None)
        inviter = _inviter(form, request.user, now)
    return render(request, "patients/invitation_accept.html", {"form": form, "inviter": inviter})


def _inviter(form: InvitationCodeForm, user, now):
    """Who created the code in the link, or a form error saying why it cannot be used."""
    if not form.is_valid():  # also when there is no code yet
        return None
    try:
        return check_invitation(
            find_invitation(form.cleaned_data["code"]), user=user, now=now
        ).created_by
    except CareError as error:
        form.add_error("code", str(error))
        return None


def _linked(request: HtmxHttpRequest, link):
    if request.user.is_clinician:
        messages.success(request, _("You are now linked with %(name)s.") % {"name": link.patient})
        return redirect("patients:clinic_patient", link.patient_id)
    messages.success(request, _("You are now linked with %(name)s.") % {"name": link.clinician})
    return redirect("patients:care_team")
