from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patients.accounts import delete_account
from patients.forms import DeleteAccountForm, ProfileForm, SignupForm
from patients.models import Role
from patients.reminders import plan_patient_reminders


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            user = form.save(commit=False)
            user.role = Role.PATIENT
            user.language = translation.get_language() or settings.LANGUAGE_CODE
            user.health_data_consent_at = timezone.now()
            user.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
            user.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url(request) or "patients:start_treatment")
    else:
        form = SignupForm(initial={"time_zone": settings.DEFAULT_PATIENT_TIME_ZONE})
    context = {"form": form, "next": next_url(request)}
    return render(request, "registration/signup.html", context)


def next_url(request) -> str:
    """Where to go after signing up (an invitation link, say), if it is a page of this site."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


class LoginView(auth_views.LoginView):
    """After log-in, continue in the language the person chose in their profile."""

    def get_success_url(self) -> str:
        url = self.get_redirect_url()
        if not url:  # no ?next=: each person lands on their own space
            user = self.request.user
            url = reverse("patients:clinic" if user.is_clinician else "patients:dashboard")
        return translate_url(url, self.request.user.language)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            with transaction.atomic():
                user = form.save()
                if "time_zone" in form.changed_data:  # reminders follow the home zone
                    plan_patient_reminders(patient=user, now=timezone.now())
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
def delete(request):
    if request.method == "POST":
        form = DeleteAccountForm(request.POST, user=request.user)
        if form.is_valid():
            user = request.user
            logout(request)
            delete_account(user=user)
            messages.success(request, _("Your account and all your data are deleted."))
            return redirect("home")
    else:
        form = DeleteAccountForm(user=request.user)
    context = {"form": form, "retention_days": settings.ACCESS_LOG_RETENTION_DAYS}
    return render(request, "registration/delete_account.html", context)
