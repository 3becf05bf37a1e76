"""Settings for the cervical dystonia injection planner.

One module for every environment. Each deploy-time value comes from the environment
(see .env.example); the defaults are safe for a local development run, and production
refuses to start without the values it cannot guess.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One clear line and no traceback: this is an operator mistake, not a bug.
        sys.exit(
            "SECRET_KEY is not set: set it in the environment (see .env.example), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"

# The audit trail's hash chain is keyed (patients.audit.chain): without this key nobody can rewrite
# entries and re-seal the chain unnoticed. Keep it out of the database and its backups; to rotate,
# set a new key and list the old ones in AUDIT_HMAC_OLD_KEYS so older entries still verify.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY is not set: set it in the environment to a long random secret (see .env.example), "
            "or set DEBUG=true for local development."
        )
    AUDIT_HMAC_KEY = "audit-chain-local-development-only"
AUDIT_HMAC_OLD_KEYS = env.list("AUDIT_HMAC_OLD_KEYS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "import_export",
    "patients",
    "patients.audit",
    "planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After authentication: both read request.user.
    "planner.access.middleware.IdleSessionRenewalMiddleware",
    "planner.access.middleware.NoStoreForSignedInUsersMiddleware",
    # SQLite's "database is locked" becomes 503 "nothing was saved", never a 500.
    "planner.access.middleware.DatabaseBusyMiddleware",
    # Every view needs a logged-in user unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "planner.access.two_factor.SecondFactorMiddleware",
    # django-axes wants to be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "planner.urls"
WSGI_APPLICATION = "planner.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "planner.access.context_processors.session_timeout",
                "planner.access.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Local runs: a write transaction takes the lock when it begins and waits for it, as PostgreSQL's row locks
    # would, instead of failing "database is locked" halfway through when a second writer upgrades its lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=env.int("SQLITE_TIMEOUT_SECONDS", default=20)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries only: PostgreSQL's JIT compiler spent 18 ms compiling a 4 ms worklist count whose cost
    # estimate passed jit_above_cost. Compiling never pays off for this kind of workload.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for everything the app caches (the reference inputs of the safety checks, the worklist's lists).
# Local memory by default: right for one machine, since every entry is keyed by a version read from the
# database. Several app servers over one database share a cache server so a change made through one is
# reused, not recomputed, by the others: CACHE_URL=redis://host:6379/0 or pymemcache://host:11211.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if env.str("CACHE_URL", default="").startswith("pymemcache://"):
    # django-environ 0.14 maps this scheme to the pylibmc backend; the client installed is pymemcache.
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.memcached.PyMemcacheCache"
CACHES["default"]["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="cd")

AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out user is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with each user's permissions kept in the cache under the role version.
    "planner.access.backends.CachedPermissionsBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this many idle minutes: activity renews them (at most once a minute, see
# planner.access.middleware.IdleSessionRenewalMiddleware).
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=15)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Optional TOTP second factor; these roles must use it (comma-separated group names).
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=[])
OTP_TOTP_ISSUER = "CD Planner"

# Login throttling: five failures for one username from one address lock it for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner on every manage.py command; lockouts are still logged
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address, for the lockout and the audit trail (django-axes reads it with django-ipware).
# REVERSE_PROXY_COUNT: how many proxies stand in front of the app (0: clients connect directly; the
# earlier name AXES_PROXY_COUNT is still read). Each proxy appends the address it saw to X-Forwarded-For,
# so the client is the last entry with one proxy; entries a client writes itself come first and are
# never trusted: a header of another length falls back to the proxy's own address.
REVERSE_PROXY_COUNT = env.int("REVERSE_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))
if REVERSE_PROXY_COUNT:
    # ipware counts only the proxies listed in the header; the nearest one is REMOTE_ADDR instead.
    AXES_IPWARE_PROXY_COUNT = REVERSE_PROXY_COUNT - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_PROXY_COUNT = None
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Transport security. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: only our own files, and inline script only with the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The clinic's phone number and name, printed on the after-care handout (planner.documents.handout).
CLINIC_PHONE = env.str("CLINIC_PHONE", default="")
CLINIC_NAME = env.str("CLINIC_NAME", default="")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed names need `collectstatic`; local runs and tests serve the source files.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap calls the error colour "danger".

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
