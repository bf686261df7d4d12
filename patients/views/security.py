"""The second log-in step, setting up an authenticator, and the Security page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from config.http import HtmxHttpRequest
from patients import security
from patients.forms.accounts import CodeForm
from patients.views.accounts import landing_url


def _expired(request: HtmxHttpRequest, *, was_pending: bool):
    if was_pending:
        messages.error(request, _("Your log-in took too long. Please enter your password again."))
    return redirect("login")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_verify(request: HtmxHttpRequest) -> HttpResponse:
    """Step two: a code from the app, or a recovery code."""
    was_pending = security.PENDING_KEY in request.session
    user, pending = security.pending_login(request)
    if user is None:
        return _expired(request, was_pending=was_pending)
    if not security.has_two_factor(user):
        return redirect("login_enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = security.check_code(user, form.cleaned_data["code"])
        if check.device is not None:
            security.finish_login(
                request, user=user, device=check.device, remember=pending["remember"]
            )
            return redirect(landing_url(user, pending["next"]))
        form.add_error("code", check.error)
    return render(request, "registration/login_verify.html", {"form": form})


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_enrol(request: HtmxHttpRequest) -> HttpResponse:
    """Step two for a specialist (or staff) without an authenticator yet: set one up."""
    was_pending = security.PENDING_KEY in request.session
    user, pending = security.pending_login(request)
    if user is None:
        return _expired(request, was_pending=was_pending)
    if security.has_two_factor(user):
        return redirect("login_verify")
    device = security.enrolment_device(user)
    form = CodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        check = security.check_device(device, form.cleaned_data["code"])
        if check.device is not None:
            codes = security.confirm_enrolment(device=device)
            security.finish_login(request, user=user, device=device, remember=pending["remember"])
            return _recovery_codes(request, codes, landing_url(user, pending["next"]))
        form.add_error("code", check.error)
    return _enrol_page(request, device, form, "registration/login_enrol.html")


def _enrol_page(request: HtmxHttpRequest, device, form, template):
    context = {
        "form": form,
        "qr": security.qr_code(device.config_url),
        "secret": security.readable_secret(device),
    }
    return render(request, template, context)


def _recovery_codes(request: HtmxHttpRequest, codes: list[str], continue_url: str):
    """Shown once, in the answer to the POST that made them: they are not kept readable."""
    context = {"codes": codes, "continue_url": continue_url}
    return render(request, "registration/recovery_codes.html", context)


@never_cache
@require_http_methods(["GET"])
@login_required
def security_page(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "two_factor": security.has_two_factor(user),
        "codes_left": security.recovery_codes_left(user),
        "required": user.must_use_two_factor,
    }
    return render(request, "registration/security.html", context)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@login_required
def enable_two_factor(request: HtmxHttpRequest) -> HttpResponse:
    """A patient turns the second factor on (specialists set it up at log-in)."""
    user = request.user
    if security.has_two_factor(user):
        return redirect("security")
    device = security.enrolment_device(user)
    form = CodeForm(request.POST or None, recovery=False)
    if request.method == "POST" and form.is_valid():
        check = security.check_device(device, form.cleaned_data["code"])
        if check.device is not None:
            codes = security.confirm_enrolment(device=device)
            security.finish_verified(request, device=device)
            return _recovery_codes(request, codes, _security_url())
        form.add_error("code", check.error)
    return _enrol_page(request, device, form, "registration/enable_two_factor.html")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@login_required
def disable_two_factor(request: HtmxHttpRequest) -> HttpResponse:
    """Patients only, and only with a current code: a stolen session alone cannot do it."""
    user = request.user
    if user.must_use_two_factor:
        raise Http404("Specialists and staff keep their second factor.")
    if not security.has_two_factor(user):
        return redirect("security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = security.check_code(user, form.cleaned_data["code"])
        if check.device is not None:
            security.turn_off_two_factor(user=user)
            security.sign_out_other_sessions(request)
            messages.success(request, _("Two-step verification is off."))
            return redirect("security")
        form.add_error("code", check.error)
    return render(request, "registration/disable_two_factor.html", {"form": form})


@never_cache
@require_POST
@login_required
def regenerate_recovery_codes(request: HtmxHttpRequest) -> HttpResponse:
    if not security.has_two_factor(request.user):
        return redirect("security")
    codes = security.new_recovery_codes(user=request.user)
    security.sign_out_other_sessions(request)
    return _recovery_codes(request, codes, _security_url())


@require_POST
@login_required
def sign_out_other_sessions(request: HtmxHttpRequest) -> HttpResponse:
    security.sign_out_other_sessions(request)
    messages.success(request, _("Your other sessions are signed out. This one goes on."))
    return redirect("security")


def _security_url() -> str:
    return reverse("security")
