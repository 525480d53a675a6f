"""Settings for hms, read from the environment and failing closed.

Every variable is listed in `.env.example`. DEBUG is off unless HMS_DEBUG says otherwise,
and the secret key never lives in the code: it comes from HMS_SECRET_KEY or from a file
generated once in the data folder.
"""

import os
import secrets
import sys
from datetime import time, timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
TESTING = "pytest" in sys.modules


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("HMS_DATA_DIR", "./var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("HMS_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("HMS_DEBUG")
ALLOWED_HOSTS = env_list("HMS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("HMS_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "hms.accounts.apps.HmsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "template_partials",
    "js_lib_htmx",
    "django_tasks",
    "django_tasks_db",
    "hms.core",
    "hms.accounts",
    "hms.audit",
    "hms.patients",
    "hms.staff",
    "hms.encounters",
    "hms.scheduling",
    "hms.billing",
    "hms.interop",
    "hms.interop.fhir",
    "hms.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hms.core.middleware.SecureCookiesOverTlsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "hms.core.middleware.RequestContextMiddleware",
    "hms.core.middleware.ApiNoStoreMiddleware",
    "hms.audit.middleware.AuditMiddleware",
    "hms.core.middleware.RefuseInvalidUtf8Middleware",
    "hms.accounts.middleware.FacilityMiddleware",
    "hms.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hms.urls"
WSGI_APPLICATION = "hms.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hms.web.context_processors.shell",
            ],
        },
    }
]

# Database: SQLite in the data folder unless DATABASE_URL names another.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'hms.sqlite3'}",
        conn_max_age=int(os.environ.get("HMS_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "hms.core.sqlite"  # writers queue on a lock file
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # as for Django's own SQLite engine
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and the one writer proceed together; IMMEDIATE takes the
        # write lock when a transaction starts, so two writers queue instead of
        # failing half-way with "database is locked".
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif os.environ.get("HMS_DB_PREPARED_STATEMENTS", "on") != "off":
    # Hot-path reads (hms.core.bulk.fetch_prepared) are prepared once per connection;
    # the ORM's own queries are not. Turn it off behind a pooler in transaction mode
    # (PgBouncer before 1.21), which cannot keep prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Passwords: argon2 first; the policy follows NIST 800-63B (length over composition).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Tests create many users; one test checks the argon2 setting on its own.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *PASSWORD_HASHERS,
    ]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("HMS_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "hms.accounts.validators.MaximumLengthValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sessions: idle log-off. Every request pushes the expiry forward, so the session
# ends HMS_IDLE_TIMEOUT_MINUTES after the last request.
IDLE_TIMEOUT_SECONDS = int(float(os.environ.get("HMS_IDLE_TIMEOUT_MINUTES", "15")) * 60)
SESSION_COOKIE_AGE = IDLE_TIMEOUT_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "hms_session"
CSRF_COOKIE_NAME = "hms_csrftoken"
CSRF_FAILURE_VIEW = "hms.web.views.csrf_failure"

# Transport security. Behind a TLS-terminating proxy set HMS_BEHIND_TLS_PROXY=true.
HTTPS = env_bool("HMS_HTTPS")
if env_bool("HMS_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Django only sends HSTS on requests that arrived over TLS.
SECURE_HSTS_SECONDS = int(os.environ.get("HMS_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Lockout: 5 failures on one username lock it for 15 minutes (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("HMS_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("HMS_LOCKOUT_MINUTES", "15")))
# Per username only: a hospital's staff share one NAT address, so locking an address
# would lock out a whole ward. Hence axes.W006 is silenced below.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hms.accounts.web.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("HMS_BEHIND_TLS_PROXY") else None

# Two-factor login.
OTP_TOTP_ISSUER = os.environ.get("HMS_OTP_ISSUER", "hms")
OTP_TOTP_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("HMS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = TESTING or DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING or DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("HMS_MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hms.accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hms.accounts.api.permissions.HasRolePermission"],
    # The browsable API (?format=api) is a developer's page: forms and a session login
    # onto patient data are no door to leave open in production.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PARSER_CLASSES": ["hms.core.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "hms.core.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "hms.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hms API",
    "DESCRIPTION": "REST API of the hospital management system. "
    "Authenticate with `Authorization: Bearer <token>` (see `hms token`).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hms.core.api.schema.add_error_responses",
    ],
    # Choices that several serializers offer, named once.
    "ENUM_NAME_OVERRIDES": {"AppointmentKindEnum": "hms.scheduling.models.AppointmentKind"},
    "GET_LIB_DOC_EXCLUDES": "hms.core.api.schema.lib_doc_excludes",
}

EMAIL_BACKEND = os.environ.get(
    "HMS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# With HMS_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend:
EMAIL_HOST = os.environ.get("HMS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("HMS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("HMS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HMS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HMS_EMAIL_STARTTLS")
EMAIL_USE_SSL = env_bool("HMS_EMAIL_SSL")
# A server that stops answering fails the send (and it is retried) instead of
# holding the worker for ever.
EMAIL_TIMEOUT = float(os.environ.get("HMS_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("HMS_EMAIL_FROM", "hms <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text messages: hms.core.sms.ConsoleBackend, FileBackend (one JSON line per message in
# HMS_SMS_FILE), or a provider's adapter.
HMS_SMS_BACKEND = os.environ.get(
    "HMS_SMS_BACKEND",
    "hms.core.sms.LocmemBackend" if TESTING else "hms.core.sms.ConsoleBackend",
)
HMS_SMS_FILE = Path(os.environ.get("HMS_SMS_FILE") or DATA_DIR / "sms.jsonl")

# Messages to patients (hms.patients.messaging): none go out in the facility's quiet
# hours (its own time zone; "" for none), failed sends are tried again after 1, 4, 16,
# ... times the first delay, up to the attempts allowed.
HMS_QUIET_HOURS = os.environ.get("HMS_QUIET_HOURS", "21:00-07:00")
if HMS_QUIET_HOURS.strip():
    try:
        _quiet_start, _quiet_end = HMS_QUIET_HOURS.split("-")
        time.fromisoformat(_quiet_start.strip()), time.fromisoformat(_quiet_end.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"HMS_QUIET_HOURS={HMS_QUIET_HOURS!r}: give two times, as 21:00-07:00."
        ) from exc
HMS_MESSAGE_MAX_ATTEMPTS = int(os.environ.get("HMS_MESSAGE_MAX_ATTEMPTS", "5"))
HMS_MESSAGE_RETRY_SECONDS = float(os.environ.get("HMS_MESSAGE_RETRY_SECONDS", "60"))
# Appointment reminders go this many hours before the start (hms.scheduling.reminders).
HMS_REMINDER_HOURS = [float(h) for h in env_list("HMS_REMINDER_HOURS", "24,2")]

# Background work: Django's Tasks API (the django-tasks backport) with the database as
# the queue; `hms worker` runs the tasks and enqueues the periodic ones below.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# (task path, every N seconds, optional check that there is work): see hms.core.worker.
# The waiting-room screen shows ticket numbers only; "initials" adds "Baraka M." beside a
# patient called, where the clinic has decided its patients accept that.
HMS_SCREEN_NAMES = os.environ.get("HMS_SCREEN_NAMES", "none")
if HMS_SCREEN_NAMES not in ("none", "initials"):
    raise ImproperlyConfigured(f"HMS_SCREEN_NAMES={HMS_SCREEN_NAMES!r}: none or initials.")

# The audit chain's last sealed row is anchored outside the database this often: to an
# append-only file, and to syslog when HMS_AUDIT_ANCHOR_SYSLOG is /dev/log or host[:port]
# (docs/operations/audit.md).
HMS_AUDIT_ANCHOR_FILE = Path(
    os.environ.get("HMS_AUDIT_ANCHOR_FILE") or DATA_DIR / "audit-anchors.log"
)
HMS_AUDIT_ANCHOR_SYSLOG = os.environ.get("HMS_AUDIT_ANCHOR_SYSLOG", "").strip()
HMS_AUDIT_ANCHOR_SECONDS = int(os.environ.get("HMS_AUDIT_ANCHOR_SECONDS", "300"))

HMS_PERIODIC_TASKS = [
    ("hms.scheduling.tasks.send_due_messages", 5, "hms.patients.sending.has_due_messages"),
    ("hms.scheduling.tasks.mark_no_shows", 300, None),
    ("hms.scheduling.tasks.lapse_waitlist_offers", 60, None),
    ("hms.scheduling.tasks.extend_horizons", 6 * 3600, None),
    ("hms.core.tasks.prune_task_results", 3600, None),
    ("hms.core.events.deliver_pending_events", 60, "hms.core.events.has_pending_events"),
    ("hms.billing.tasks.expire_preauthorisations", 24 * 3600, None),
    ("hms.audit.tasks.anchor_audit_chain", HMS_AUDIT_ANCHOR_SECONDS, None),
]

# Billing. The consultation fee is charged when the visit is checked in ("check_in"),
# when the consultation ends ("finish"), or not at all ("off").
HMS_CONSULTATION_CHARGE_AT = os.environ.get("HMS_CONSULTATION_CHARGE_AT", "check_in")
if HMS_CONSULTATION_CHARGE_AT not in ("check_in", "finish", "off"):
    raise ImproperlyConfigured(
        f"HMS_CONSULTATION_CHARGE_AT={HMS_CONSULTATION_CHARGE_AT!r}: check_in, finish or off."
    )
# A discount above this share of an invoice's subtotal needs a supervisor's approval.
HMS_DISCOUNT_APPROVAL_PERCENT = float(os.environ.get("HMS_DISCOUNT_APPROVAL_PERCENT", "10"))
# The billing provider on X12 837 claims: its national provider number (10 digits, its
# check digit is verified at export) and its tax id. Claims are not exported without
# them; tests use a made-up NPI with a valid check digit.
HMS_BILLING_NPI = os.environ.get("HMS_BILLING_NPI", "1234567893" if TESTING else "").strip()
HMS_BILLING_TAX_ID = os.environ.get("HMS_BILLING_TAX_ID", "000000000" if TESTING else "").strip()
# Online payments by Stripe, on only when both keys are set: the secret API key and the
# signing secret of the webhook endpoint /api/v1/billing/webhooks/stripe/. Payers come
# back from Stripe's checkout page to HMS_PUBLIC_URL, this site's public address.
HMS_STRIPE_SECRET_KEY = os.environ.get("HMS_STRIPE_SECRET_KEY", "")
HMS_STRIPE_WEBHOOK_SECRET = os.environ.get("HMS_STRIPE_WEBHOOK_SECRET", "")
HMS_PUBLIC_URL = os.environ.get("HMS_PUBLIC_URL", "").rstrip("/")
if HMS_STRIPE_SECRET_KEY and not HMS_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "HMS_STRIPE_SECRET_KEY needs HMS_PUBLIC_URL, the site's address (https://...)."
    )

# Application logs carry request ids and codes, never patient data: the audit trail is
# the only place that names who saw what.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HMS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # At DEBUG it dumps whole template contexts, request and query string included.
        "django.template": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}

HMS_VERSION = "0.1.0"
