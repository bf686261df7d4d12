from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.http import HtmxHttpRequest
from patients import security
from patients.accounts import update_profile
from patients.forms.accounts import (
    ConfirmSignupForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    SignupForm,
)
from patients.privacy.erasure import erase_account
from patients.signup import confirm_signup, pending_user, request_signup

SIGNUP_NEXT_KEY = "signup_next"


@require_http_methods(["GET", "POST"])
def signup(request: HtmxHttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            return signup_requested(request, user=form.save(commit=False), profile=None)
    else:
        form = SignupForm(initial={"time_zone": settings.DEFAULT_PATIENT_TIME_ZONE})
    context = {"form": form, "next": next_url(request)}
    return render(request, "registration/signup.html", context)


def signup_requested(request: HtmxHttpRequest, *, user, profile: dict | None) -> HttpResponse:
    """The one answer to a valid sign-up form, whoever owns the address (issue 17, item 3)."""
    request_signup(
        user=user,
        profile=profile,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        now=timezone.now(),
    )
    request.session[SIGNUP_NEXT_KEY] = next_url(request)  # for the link opened in this browser
    return redirect("signup_sent")


@require_GET
def signup_sent(request: HtmxHttpRequest) -> HttpResponse:
    context = {"days": settings.SIGNUP_CONFIRMATION_DAYS}
    return render(request, "registration/signup_sent.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: a form (a GET changes nothing, for the link scanners of mail
    services); the password chosen at sign-up activates the account and signs in, or, for a
    clinician, opens the set-up of the second factor as a log-in would."""
    user = pending_user(token)
    if user is None:
        return render(request, "registration/signup_confirm.html", {"form": None}, status=404)
    if request.method == "POST":
        form = ConfirmSignupForm(request.POST, user=user)
        if form.is_valid() and confirm_signup(user=user, now=timezone.now()):
            next_page = request.session.pop(SIGNUP_NEXT_KEY, "")
            if user.must_use_two_factor:
                security.start_second_step(request, user=user, remember=False, next_url=next_page)
                return redirect("login_enrol")
            login(request, user, backend=security.BACKEND)
            return redirect(next_page or "patients:start_treatment")
    else:
        form = ConfirmSignupForm(user=user)
    return render(request, "registration/signup_confirm.html", {"form": form})


def next_url(request: HtmxHttpRequest) -> str:
    """Where to go after signing up (an invitation link, say), if it is a page of this site."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


def landing_url(user, next_url: str = "") -> str:
    """After log-in: the page asked for, or each person's own space, in their language."""
    url = next_url or reverse("patients:clinic" if user.is_clinician else "patients:dashboard")
    return translate_url(url, user.language)


@method_decorator(never_cache, name="dispatch")
class LoginView(auth_views.LoginView):
    """The password step. Someone with (or who must have) a second factor is not signed in
    here: the session only remembers them while they type a code or set up their app."""

    form_class = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        remember = form.cleaned_data.get("remember", False)
        if security.needs_second_step(user):
            next_url = self.get_redirect_url()
            security.start_second_step(
                self.request, user=user, remember=remember, next_url=next_url
            )
            has_device = security.has_two_factor(user)
            return redirect("login_verify" if has_device else "login_enrol")
        security.finish_login(self.request, user=user, device=None, remember=remember)
        return HttpResponseRedirect(landing_url(user, self.get_redirect_url()))


def admin_login(request: HtmxHttpRequest):
    """The admin's own log-in form would skip the second step's enrolment: use ours."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            user = update_profile(
                user=form.save(commit=False), changed=form.changed_data, now=timezone.now()
            )
            messages.success(request, _("Profile saved."))
            response = redirect(translate_url(request.path, user.language))
            response.set_cookie(  # with the flags Django's set_language gives it (HTTPS only…)
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "patients/profile.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def delete(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DeleteAccountForm(request.POST, user=request.user)
        if form.is_valid():
            user = request.user
            logout(request)
            erase_account(user=user)
            messages.success(request, _("Your account and all your data are deleted."))
            return redirect("home")
    else:
        form = DeleteAccountForm(user=request.user)
    context = {"form": form, "retention_days": settings.ACCESS_LOG_RETENTION_DAYS}
    return render(request, "registration/delete_account.html", context)
