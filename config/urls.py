from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from config import pwa, views
from patients.forms.accounts import EvenPasswordResetForm
from patients.views import accounts, care, checklists, reminders, security, travel

# The admin opens only to staff whose session was verified by a second factor (django-otp).
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    # Fetched by calendar apps, without a session: the secret token is the key.
    path("calendar/<str:token>.ics", reminders.calendar_feed, name="calendar_feed"),
    # The installable app: the service worker must be at the root for its scope to be the site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("offline/allowed.json", travel.offline_allowed, name="offline_allowed"),
]

# French pages have no prefix; English ones live under /en/.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("admin/login/", accounts.admin_login),
    path("admin/", admin.site.urls),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/clinician/", care.clinician_signup, name="signup_clinician"),
    path("accounts/signup/sent/", accounts.signup_sent, name="signup_sent"),
    path("accounts/signup/confirm/<str:token>/", accounts.signup_confirm, name="signup_confirm"),
    # Read-only, for a lab or someone without an account: the token is the key.
    path("shared/checklists/<str:token>/", checklists.shared_checklist, name="shared_checklist"),
    # Public: what a travel letter's QR code opens. The token is the key; little is shown.
    path("verify/<str:token>/", travel.verify_letter, name="verify_letter"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/two-step/", security.login_verify, name="login_verify"),
    path("accounts/two-step/setup/", security.login_enrol, name="login_enrol"),
    path(
        "accounts/logout/",
        pwa.clears_offline_papers(auth_views.LogoutView.as_view()),
        name="logout",
    ),
    path("accounts/security/", security.security_page, name="security"),
    path("accounts/security/two-step/on/", security.enable_two_factor, name="enable_two_factor"),
    path("accounts/security/two-step/off/", security.disable_two_factor, name="disable_two_factor"),
    path(
        "accounts/security/recovery-codes/",
        security.regenerate_recovery_codes,
        name="regenerate_recovery_codes",
    ),
    path(
        "accounts/security/sign-out-others/",
        security.sign_out_other_sessions,
        name="sign_out_other_sessions",
    ),
    path("accounts/profile/", accounts.profile, name="profile"),
    path("accounts/delete/", accounts.delete, name="delete_account"),
    path("privacy/", views.privacy, name="privacy"),
    # The same work for an unknown address as for a known one (issue 17, item 3).
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=EvenPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("therapies/", include("therapies.urls")),
    path("", include("content.urls")),
    path("", include("patients.urls")),
    prefix_default_language=False,
)
