"""Settings, read from the environment.

Unset variables give the embedded default: SQLite in ``db.sqlite3``, Celery tasks run
in-process and a per-process cache. ``DEBUG`` is off unless set to a true value (``1``,
``true``, ``yes``, ``on``); with it off ``SECRET_KEY`` is required. Production sets
``DATABASE_URL``, ``CELERY_BROKER_URL``, ``REDIS_URL`` (the shared cache), ``SECRET_KEY`` and
``ALLOWED_HOSTS``; development sets ``DEBUG=1``.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}") from None


def documents_storage(environ) -> dict:
    """The ``documents`` storage (stored PDFs): the file system under ``MEDIA_ROOT`` unless
    ``DOCUMENTS_STORAGE=s3``, then a private S3-compatible bucket (django-storages) named by
    ``DOCUMENTS_S3_BUCKET``, at ``DOCUMENTS_S3_ENDPOINT_URL`` (empty: AWS) in
    ``DOCUMENTS_S3_REGION``, with ``DOCUMENTS_S3_ACCESS_KEY_ID`` / ``DOCUMENTS_S3_SECRET_ACCESS_KEY``
    (empty: boto3's own chain, e.g. an instance role), under ``DOCUMENTS_S3_PREFIX``. Objects are private (no ACL, no public
    URL; signed URLs only), never overwritten, and read only through the views that check who
    may see them (docs/operations.md). Raises ``ValueError`` for another kind, or S3 without a
    bucket."""
    kind = environ.get("DOCUMENTS_STORAGE", "filesystem")
    if kind == "filesystem":
        # No location: FileSystemStorage reads MEDIA_ROOT itself, and follows it when it changes.
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ValueError(f"DOCUMENTS_STORAGE is {kind!r}: use filesystem or s3")
    if not environ.get("DOCUMENTS_S3_BUCKET"):
        raise ValueError("DOCUMENTS_STORAGE=s3 needs DOCUMENTS_S3_BUCKET")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["DOCUMENTS_S3_BUCKET"],
            "endpoint_url": environ.get("DOCUMENTS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("DOCUMENTS_S3_REGION") or None,
            "access_key": environ.get("DOCUMENTS_S3_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("DOCUMENTS_S3_SECRET_ACCESS_KEY") or None,
            "location": environ.get("DOCUMENTS_S3_PREFIX", ""),
            # "path" for servers without bucket subdomains (MinIO, Ceph on one host name).
            "addressing_style": environ.get("DOCUMENTS_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 300,
        },
    }


# Off unless asked for: a forgotten variable must not turn on debug pages in production.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 (DEBUG only)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # Not used for authentication (knox is): kept for the migrations that convert its old
    # clear-text tokens to knox digests and for the history that depends on them.
    "rest_framework.authtoken",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "djmoney",
    "simple_history",
    "contracts",
    "kpis",
    "billing",
    "webhooks",
    "notifications",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Records the request's user as the author of every history row written during it.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so concurrent writers wait
    # (up to the timeout) instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "documents": documents_storage(os.environ),
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:statement-list"
LOGOUT_REDIRECT_URL = "portal:login"
# Email (notifications, password resets): printed to the console unless EMAIL_BACKEND says
# otherwise; production sets django.core.mail.backends.smtp.EmailBackend and the EMAIL_* below
# (docs/operations.md).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a connection to the mail server is given up (and the send retried).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# The site's address as users reach it, for the absolute links in emails (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Uploads: KPI files larger than this are refused: an upload is stopped as soon as it passes
# it, a file on disk before it is read. Ingestion reads in chunks, so memory does not grow
# with the file (docs/performance.md); the limit bounds the disk and the time one file takes.
KPI_FILE_MAX_BYTES = env_int("KPI_FILE_MAX_BYTES", 512 * 1024 * 1024)
# Seconds without a stored chunk before a KPI batch still loading counts as left by an
# ingestion that died: the next ingestion (or manage.py clean_kpi_loads) deletes it and its rows.
KPI_LOAD_STALE_AFTER = env_int("KPI_LOAD_STALE_AFTER", 600)
# Seconds without a heartbeat before a running billing run counts as dead (its process died).
BILLING_RUN_STALE_AFTER = env_int("BILLING_RUN_STALE_AFTER", 600)
# Four-eyes: whoever started the run that priced a draft does not approve it, and whoever
# approved a statement does not issue it. On unless FOUR_EYES=0.
FOUR_EYES = env_int("FOUR_EYES", 1) != 0
# The portal's exports of a filtered statement list: at most this many documents in one CSV
# or Excel file, and in one ZIP of PDFs (each PDF is read from storage into a temporary file).
PORTAL_EXPORT_MAX_DOCUMENTS = env_int("PORTAL_EXPORT_MAX_DOCUMENTS", 10000)
PORTAL_ZIP_MAX_DOCUMENTS = env_int("PORTAL_ZIP_MAX_DOCUMENTS", 200)
# Webhooks (docs/api.md): seconds to connect and to wait for each read of a receiver's answer;
# attempts per message before it is given up (a resend from the admin starts again); the first
# retry's delay in seconds, doubled for each later one up to WEBHOOK_RETRY_MAX_SECONDS.
# WEBHOOK_ALLOW_LOOPBACK lets endpoints on 127.0.0.1 / localhost (plain http too) receive them,
# for development and tests only: otherwise only https to public addresses is allowed.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)
# The account the journal credits with each document's gross (what is owed to the supplier).
JOURNAL_CREDITORS_ACCOUNT = os.environ.get("JOURNAL_CREDITORS_ACCOUNT", "creditors")
# Uploads arrive in pieces: a file is held in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then
# written to a temporary file, and stopped as soon as it passes KPI_FILE_MAX_BYTES
# (core.uploads.UploadSizeLimit, docs/operations.md). The other fields of a request together
# are at most DATA_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "core.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The schedule lives in the database (billing migration 0004 creates the monthly run), so
# procurement can change it in the admin under Periodic tasks.
# Worker processes taking the tasks (the sum of every worker's --concurrency): the chunk size
# of a billing run and of a month's PDFs is chosen from it (billing.chunking).
WORKER_PROCESSES = env_int("WORKER_PROCESSES", 2)
# A worker process keeps its database connection this many seconds (checked before reuse)
# instead of opening one per task: with CONN_MAX_AGE=0 each chunk paid a connect.
WORKER_CONN_MAX_AGE = env_int("WORKER_CONN_MAX_AGE", 600)
# Celery's Django fix-up closes every connection around every task unless this is set (then
# only once per 2 × this many tasks); config.celery closes old or broken ones instead.
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Knox's hashed tokens ("Authorization: Token <key>"), with the user's membership read
        # in the same query as the token.
        "billing.permissions.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        # A term that is not an ordering field is a 400, not left out (core.api_params).
        "core.api_params.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api_params.StrictPageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/min"),
        # POST /api/v1/contracts/{reference}/simulations/ (billing.simulation_api)
        "simulations": os.environ.get("API_THROTTLE_SIMULATIONS", "60/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
}

# API tokens (django-rest-knox): kept as SHA-512 digests, shown once when created. They do not
# expire by themselves (finance systems hold them); API_TOKEN_TTL_DAYS sets a lifetime for new
# tokens. Revoke a token by deleting it in the admin (superusers) or with
# ``create_api_token --replace``.
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 0))
    if env_int("API_TOKEN_TTL_DAYS", 0)
    else None,
    "TOKEN_PREFIX": "",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gain-share billing: finance API",
    "DESCRIPTION": "Issued invoices and credit notes with their lines, and KPI batch submission.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar, served as our own
    # static files: the docs work offline and load no third-party script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io on any host
    # but localhost, which the Content-Security-Policy refuses.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}


# Caches. Throttle counters (the API's, password resets') must be shared by every worker
# process, or each process allows the full rate: with ``REDIS_URL`` (or ``CACHE_URL``, which
# wins) the default cache is Redis; unset, it is per-process memory, fine for one process.
def cache_settings(url: str) -> dict:
    """The ``CACHES`` setting for a ``redis://`` URL, or a per-process cache when it is empty."""
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "gainshare",
        }
    }


CACHES = cache_settings(os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL", ""))

# Behind N reverse proxies that each append to X-Forwarded-For, the client is the Nth address
# from the right; anything further left was written by the client and is not trusted.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)


def client_ip(request) -> str:
    """The client's address for lockouts and throttles: ``REMOTE_ADDR``, or with
    ``TRUSTED_PROXY_COUNT`` = N > 0 the Nth address from the right of X-Forwarded-For
    (``REMOTE_ADDR`` when the header has fewer than N, or that entry is not an IP address:
    it is stored in an address column)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if TRUSTED_PROXY_COUNT <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < TRUSTED_PROXY_COUNT:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-TRUSTED_PROXY_COUNT]))
    except ValueError:
        return remote


def lockout_username(request, credentials) -> str | None:
    """The username a login attempt is counted against: at most 150 characters (the longest
    a username can be; the attempt log's column holds 255) and no NUL, which PostgreSQL
    refuses in text. A longer name names no account, so cutting it merges nothing real."""
    field = "username"
    value = credentials.get(field) if credentials else request.POST.get(field)
    if not isinstance(value, str):
        return value
    return value.replace("\x00", "")[:150]


# Login lockout (django-axes, portal and admin logins alike): after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused for AXES_COOLOFF_MINUTES
# with the lockout page (HTTP 429). Attempts are kept in the database, so every process counts
# them together. A success clears the pair's failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = client_ip
AXES_USERNAME_CALLABLE = lockout_username

# Password reset requests: at most this many per address and per client address in each
# window; past that the same "check your email" page is shown and no mail is sent.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3)
PASSWORD_RESET_LIMIT_PER_IP = env_int("PASSWORD_RESET_LIMIT_PER_IP", 10)
PASSWORD_RESET_WINDOW_SECONDS = env_int("PASSWORD_RESET_WINDOW_SECONDS", 3600)

# Staff two-factor: with it on, the admin needs a confirmed TOTP device verified at login;
# staff without one enrol at /mfa/enrol/. On by default in production (DEBUG off).
REQUIRE_STAFF_MFA = env_bool("REQUIRE_STAFF_MFA", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Gain-share billing")

# Content-Security-Policy (django-csp): our own origin only, no inline script anywhere, and no
# framing. The API docs pages add inline styles (Swagger UI and ReDoc set them at run time).
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
