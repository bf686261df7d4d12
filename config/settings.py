"""One settings module, driven by the environment (see .env.example for every variable).

Development defaults are safe and need nothing; `APP_ENV=production` demands the secrets.
Importing it has no side effect: the folders under VAR_DIR are made where they are first needed
(the SQLite backend of config/sqlite3, beat's scheduler in config/celery.py, scripts/run).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


APP_ENV = env_str("APP_ENV", "development")
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("APP_ENV must be 'development' or 'production'.")
PRODUCTION = APP_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # content search: SearchVectorField (inert on SQLite)
    "django_htmx",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "patients",
    "therapies",
    "content",
]

MIDDLEWARE = [
    "config.logs.RequestLogMiddleware",  # first: one log line per request, whatever answers
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (the dashboard's 38 KiB of HTML become about 7 on a phone's slow
    # connection: Lighthouse, issue 18). After WhiteNoise, which answers static files itself,
    # already compressed. BREACH: Django pads each gzip stream with random bytes (since 4.2) and
    # masks the CSRF token afresh in every response.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.RequestTooLargeMiddleware",  # before anything reads the body
    "config.middleware.RejectNulMiddleware",
    "config.middleware.RejectForeignCharsetMiddleware",  # before the first read of request.POST
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.PrivatePagesNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "patients.middleware.HtmxLoginRedirectMiddleware",
    # Inside HtmxLoginRedirectMiddleware, so their redirects to the log-in page reach htmx as
    # HX-Redirect.
    "patients.middleware.SessionTimeoutMiddleware",
    "patients.middleware.RequireSecondFactorMiddleware",
    "patients.middleware.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out log-in into the 429 page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "patients.context_processors.reminder_badge",
                "config.context_processors.operator",
            ],
            "libraries": {"interface": "config.interface"},
        },
    },
]
# Every form through templates/django/forms/: label, hint, error, input (config/interface.py).
FORM_RENDERER = "config.interface.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, which makes the database file's folder on first connection.
    DATABASES["default"]["ENGINE"] = "config.sqlite3"
    # WAL lets the web, the worker and beat read while one of them writes; the wait is for
    # the moments two of them write at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # Tests use a file too (not shared memory, whose table locks fail at once instead of
    # waiting), so a worker thread or process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "patients.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# --- Authentication, two factors, sessions (issue #7) --------------------------------------------
# Argon2 hashes new passwords; the others stay to check (and upgrade at the next log-in) hashes
# made before.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# No maximum length and no composition rules (NIST SP 800-63B): at least 8 characters, not a
# common password, not only digits, not too close to the name or e-mail address.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every log-in first; Django's backend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures count per (e-mail, address) pair: a stranger cannot lock someone out of their account
# from elsewhere, and the lock lifts by itself after the cool-off.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
# And a ceiling per account across addresses (patients.signin_limits.account_ceiling_reached): this
# many failures on one account within the cool-off lock it for addresses that never signed in
# to it lately; its owner's usual addresses stay open (SECURITY.md, "Log-in throttling").
AXES_ACCOUNT_FAILURE_LIMIT = env_int("AXES_ACCOUNT_FAILURE_LIMIT", 20)
AXES_HANDLER = "patients.signin_limits.AccountCeilingHandler"
AXES_LOCKOUT_CALLABLE = "patients.signin_limits.lockout_response"  # 429 + Retry-After, translated
# X-Forwarded-For is believed only as far as the proxies we run: with none, anyone can write it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "patients.signin_limits.client_ip"
AXES_USERNAME_CALLABLE = "patients.signin_limits.login_username"  # e-mails: any case, one count
# Axes' log-in records hold e-mail, address, browser and time (no health data); the daily privacy
# task deletes those older than LOGIN_LOG_RETENTION_DAYS, and erasing an account deletes its own.
# No separate failure log is kept.
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# django-otp: codes are checked against the device; each wrong code doubles the wait (1 s, 2 s, …).
OTP_TOTP_ISSUER = "Interleukin Care"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Between the password and the code the session holds only who is signing in, this long.
TWO_FACTOR_PENDING_SECONDS = env_int("TWO_FACTOR_PENDING_SECONDS", 300)
RECOVERY_CODE_COUNT = 10
# Sessions end after this long without a request (idle) and this long after the log-in
# (absolute). A patient who ticks "stay signed in" keeps a 14-day cookie instead of a browser one.
SESSION_IDLE_TIMEOUT_CLINICIAN = env_int("SESSION_IDLE_TIMEOUT_CLINICIAN", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT_CLINICIAN = env_int("SESSION_ABSOLUTE_TIMEOUT_CLINICIAN", 12 * 3600)
SESSION_IDLE_TIMEOUT_PATIENT = env_int("SESSION_IDLE_TIMEOUT_PATIENT", 30 * 60)
SESSION_REMEMBER_PATIENT = env_int("SESSION_REMEMBER_PATIENT", 14 * 24 * 3600)
SESSION_ABSOLUTE_TIMEOUT_PATIENT = env_int("SESSION_ABSOLUTE_TIMEOUT_PATIENT", 14 * 24 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_PATIENT  # the longest any session may live

# How long the record of who looked at a patient's data is kept (purged daily).
ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 365)
if ACCESS_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS must be 1 or more.")
# How long the record of each log-in (django-axes: e-mail, address, browser, time) is kept.
LOGIN_LOG_RETENTION_DAYS = env_int("LOGIN_LOG_RETENTION_DAYS", 90)
if LOGIN_LOG_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("LOGIN_LOG_RETENTION_DAYS must be 1 or more.")
# A sign-up waits, inactive, for the link e-mailed to its address: the link works this long,
# and the daily privacy task deletes an account still unconfirmed after it (patients/signup.py).
SIGNUP_CONFIRMATION_DAYS = env_int("SIGNUP_CONFIRMATION_DAYS", 3)
if SIGNUP_CONFIRMATION_DAYS < 1:
    raise ImproperlyConfigured("SIGNUP_CONFIRMATION_DAYS must be 1 or more.")

# Version of the privacy notice a patient consents to at sign-up (stored with the consent).
PRIVACY_NOTICE_VERSION = "2026-11-22"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# British English dates and times ("2 December 2026, 09:30"), as in the letters (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
# UTC in the database; this zone is only the display default before a patient's own zone applies.
TIME_ZONE = "Europe/Paris"
DEFAULT_PATIENT_TIME_ZONE = "Europe/Paris"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Celery (broker: Redis; `make run` may switch to kombu's filesystem transport) ---------------
REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# The cache holds rate-limit counters and rendered article bodies (content/caching.py). Several
# web processes share them through Redis; without CACHE_URL each process keeps its own.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be empty or a redis:// URL.")
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "config.celery:PersistentScheduler"  # makes the file's folder
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Celery's Django fix-up closes every database connection before and after every task, unless
# told to keep them for this many tasks: each reminder batch then paid a new PostgreSQL
# connection. config/celery.py applies Django's own rule around each task instead
# (DB_CONN_MAX_AGE, the health check, and a connection that saw an error is closed), and the
# fix-up closes them all only after this many.
CELERY_DB_REUSE_MAX = 1000
# No reminder uses an ETA or countdown (the outbox holds the times), so the Redis visibility
# timeout only decides when a message of a worker that vanished comes back.
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BEAT_SCHEDULE = {
    "reminders": {
        "task": "patients.tasks.queue_due_reminders",
        "schedule": env_int("REMINDER_SCAN_EVERY", 60),
        # A tick nobody ran within the minute is dropped: the next one does the same work.
        "options": {"expires": 55},
    },
    # Access-log entries past ACCESS_LOG_RETENTION_DAYS, log-in records past
    # LOGIN_LOG_RETENTION_DAYS, and expired sessions.
    "privacy-purge": {
        "task": "patients.tasks.purge_access_log",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
    # The journal's monthly prompt, at each patient's reminder hour.
    "journal-prompts": {
        "task": "patients.tasks.queue_journal_prompts",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
}
# Queue of the send tasks (tests use their own, so a running `make run` never takes theirs).
REMINDERS_QUEUE = CELERY_TASK_DEFAULT_QUEUE
# A claimed reminder whose worker went silent this long is dispatched again.
REMINDER_CLAIM_TIMEOUT = env_int("REMINDER_CLAIM_TIMEOUT", 600)

# --- E-mail (Django 6.1 MAILERS) -----------------------------------------------------------------
# Production sends real mail by default (the console backend fails `check --deploy`).
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_mailer: dict = {"BACKEND": _email_backend}
if _email_backend.endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 10,
    }
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Interleukin Care <no-reply@localhost>")
# Who runs this copy of the app, and where its data lives (issue 18, D17): shown in the footer,
# on the home page and in the privacy notice. CONTACT_EMAIL is the address patients and
# clinicians write to (their rights under the GDPR included); HOSTING_STATEMENT, if set, says
# where the servers are (e.g. "OVHcloud, Gravelines (France)"), shown as written.
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "contact@localhost")
HOSTING_STATEMENT = env_str("HOSTING_STATEMENT", "")

# --- Web Push (reminders on the phone) ----------------------------------------------------------
# VAPID keys (RFC 8292), URL-safe base64: the public key is the browser's applicationServerKey,
# the private key the raw 32-byte P-256 scalar. `make run` writes development keys to
# var/vapid.env once (`manage.py vapid_keys`). Apple's push service refuses a `sub` that is not a
# real address (403 BadJwtToken), so production wants a mailto: with a real domain.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:dev@interleukin-care.invalid")
# Push services are HTTPS; plain http://127.0.0.1 endpoints only for the tests' local service.
PUSH_ALLOW_HTTP_ENDPOINTS = env_bool("PUSH_ALLOW_HTTP_ENDPOINTS", False)
if PRODUCTION:
    if not (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY):
        raise ImproperlyConfigured("VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are required.")
    if not re.fullmatch(r"mailto:[^@\s]+@[^@\s]+\.[a-z]{2,}", VAPID_SUBJECT, re.IGNORECASE) or (
        VAPID_SUBJECT.lower().endswith((".invalid", ".test", ".example", ".localhost", ".local"))
    ):
        raise ImproperlyConfigured("VAPID_SUBJECT must be mailto: an address with a real domain.")
    if PUSH_ALLOW_HTTP_ENDPOINTS:
        raise ImproperlyConfigured("PUSH_ALLOW_HTTP_ENDPOINTS is for tests only.")

# --- Security -----------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The service worker (/sw.js, same origin) and the web app manifest.
    "worker-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
# Request bodies: the largest form (a trip with its notes) is a few KiB. A bigger announced body
# answers 413 (config.middleware.RequestTooLargeMiddleware), a bigger chunked one 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 200)
# No form takes a file: a file part of a multipart body is dropped, never stored.
FILE_UPLOAD_HANDLERS = ["config.middleware.NoFileUploads"]
# The load balancer probes the health checks over plain HTTP (when SECURE_SSL_REDIRECT is on).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Error reports show no POST value and no local variable: all may be health data.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.error_reports.NoPersonalDataFilter"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# One line per request (config/logs.py); JSON in production, for a log collector to parse.
LOG_FORMAT = env_str("LOG_FORMAT", "") or ("json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
