"""Settings for the Local Social Plan platform.

One file, driven by environment variables, so the same code runs the
zero-set-up demo (SQLite in the checkout) and a PostgreSQL deployment.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SOCIALPLAN_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    # A deployment sets SECRET_KEY; the demo keeps a random one in var/ so
    # sessions survive restarts without a key ever being committed.
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# DJANGO_ENV=production (docs/deployment.md) is a deployment behind HTTPS: it
# needs its own SECRET_KEY and ALLOWED_HOSTS, refuses DEBUG, and turns on the
# HTTPS settings below. Anything else is the demo on http://127.0.0.1.
PRODUCTION = os.environ.get("DJANGO_ENV", "").strip().lower() == "production"


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


if PRODUCTION and not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("DJANGO_ENV=production needs SECRET_KEY (docs/deployment.md).")
SECRET_KEY = _secret_key()
# The key of the rounding of public statistics (socialplan.disclosure,
# docs/disclosure.md): set once and never change it; empty: SECRET_KEY.
DISCLOSURE_SECRET = os.environ.get("DISCLOSURE_SECRET", "")
DEBUG = _env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG shows personal data in error pages: never in production.")
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1]")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS (docs/deployment.md).")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "socialplan.territory",
    "socialplan.plan",
    "socialplan.directory",
    "socialplan.needs",
    "socialplan.registry",
    "socialplan.cases",
    "socialplan.emergency",
    "socialplan.monitoring",
    "socialplan.accounts",
    "socialplan.portal",
    "socialplan.national",
    # Authentication hardening: TOTP second factor, lockout after failed logins.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # The Content-Security-Policy header (its system checks).
    "csp",
    # django-ninja serves the API docs' Swagger UI from its own static files
    # instead of a CDN, so the docs page needs no third-party origin.
    "ninja",
    # Background tasks (reading and importing uploads): see TASKS below.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Every page, error and redirect carries the policy (static files do not need it).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "socialplan.portal.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "socialplan.accounts.session_lifetime.SessionLifetimeMiddleware",
    "socialplan.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: knows the user; `Cache-Control: no-store` on
    # every response that may hold personal data (socialplan/headers.py).
    "socialplan.headers.NoStoreMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "socialplan.urls"
WSGI_APPLICATION = "socialplan.wsgi.application"

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
                "socialplan.accounts.context.navigation",
            ],
        },
    },
]


POSTGRESQL_SESSION = "-c jit=off -c max_parallel_workers_per_gather=0"


def database_settings(environ) -> dict:
    """DATABASES from environment values (a function, so tests can pass their own).

    DATABASE_URL: the primary (default: SQLite in the checkout).
    REPLICA_DATABASE_URL: a streaming read replica; reports and exports read
      from it (socialplan.dbrouting), everything else from the primary.
    DB_POOL_MAX, DB_POOL_MIN: a psycopg connection pool per worker process
      and alias (PostgreSQL only); without them, persistent connections
      kept CONN_MAX_AGE seconds.
    """

    def parse(url):
        # Health checks: a connection broken by a PostgreSQL restart or a
        # failover is replaced at the start of the next request, instead of
        # failing that request.
        return dj_database_url.parse(
            url,
            conn_max_age=int(environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )

    databases = {
        "default": parse(environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    }
    if replica_url := environ.get("REPLICA_DATABASE_URL"):
        databases["replica"] = parse(replica_url)
        # Tests create no second database: the replica alias reads the test
        # database itself.
        databases["replica"]["TEST"] = {"MIRROR": "default"}
    for config in databases.values():
        if config["ENGINE"] == "django.db.backends.postgresql":
            # No JIT: the application's queries are short, and PostgreSQL's cost
            # estimate for an OR with a subquery is high enough to compile one,
            # which costs 0.4 s on a query that runs in 0.15 s (bench/national.py).
            # No parallel workers per query: under many concurrent requests they
            # only compete for the same cores (bench/load.py: 32 -> 64 req/s).
            config.setdefault("OPTIONS", {})["options"] = POSTGRESQL_SESSION
    if pool_max := environ.get("DB_POOL_MAX"):
        for config in databases.values():
            if config["ENGINE"] != "django.db.backends.postgresql":
                continue
            config.setdefault("OPTIONS", {})["pool"] = {
                "min_size": int(environ.get("DB_POOL_MIN") or 2),
                "max_size": int(pool_max),
                # Seconds a request waits for a free connection before failing.
                "timeout": 10,
            }
            # Django refuses persistent connections with a pool: the pool keeps them.
            config["CONN_MAX_AGE"] = 0
            # With a pool, CONN_HEALTH_CHECKS (set above) makes Django give
            # the pool psycopg's check: a connection that died while idle in
            # the pool (a restart) is discarded, not handed to a request.
    return databases


def database_roles(environ) -> dict:
    """The two PostgreSQL roles, when MIGRATE_DATABASE_URL names another one.

    DATABASE_URL is the application's role: it reads and writes rows, and may
    only INSERT and SELECT the audit log. MIGRATE_DATABASE_URL is the owner
    of the schema: `migrate`, `flush` and the synthetic national generator
    connect as it (socialplan.dbroles, docs/database-roles.md). Only its
    user, password, host and port are used: the database is DATABASE_URL's.
    Unset (SQLite, a simple set-up), everything runs as DATABASE_URL.
    """
    app_url, owner_url = environ.get("DATABASE_URL"), environ.get("MIGRATE_DATABASE_URL")
    if not (app_url and owner_url) or app_url == owner_url:
        return {}
    keys = ("USER", "PASSWORD", "HOST", "PORT")
    app, owner = dj_database_url.parse(app_url), dj_database_url.parse(owner_url)
    if app["ENGINE"] != "django.db.backends.postgresql" or app["USER"] == owner["USER"]:
        return {}
    return {"app": {k: app[k] for k in keys}, "owner": {k: owner[k] for k in keys}}


DATABASES = database_settings(os.environ)
DATABASE_ROLES = database_roles(os.environ)
DATABASE_ROUTERS = ["socialplan.dbrouting.ReportingRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# django-axes first: it refuses a locked-out username+address before any
# password is checked. It needs the request, so tests log in with
# force_login (or client.login(request=HttpRequest(), ...)).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Axes logs every reset at INFO; the audit trail already records failed logins.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "socialplan.accounts.views.locked_out"
# The same address the audit trail records: REMOTE_ADDR, never a client header.
AXES_CLIENT_IP_CALLABLE = "socialplan.accounts.audit.client_ip"
# A typed username that matches no account may be a mistyped password:
# axes keeps only a keyed digest of it.
AXES_USERNAME_CALLABLE = "socialplan.accounts.lockout.lockout_username"

# Staff whose roles reach personal data log in with a TOTP code as well
# (socialplan.accounts.access.requires_two_factor). TWO_FACTOR_REQUIRED=0
# switches the requirement off, e.g. for a demo without an authenticator app.
OTP_REQUIRED = _env_bool("TWO_FACTOR_REQUIRED", True)
OTP_TOTP_ISSUER = "Plani Social Vendor"
# An API token lasts this many days, then the API answers 401 (socialplan/api/auth.py).
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))
# A code to set up an authenticator app, issued by an administrator, lasts this long.
ENROLMENT_CODE_HOURS = int(os.environ.get("ENROLMENT_CODE_HOURS", "72"))

# Albanian first; English second. Source strings are English.
LANGUAGE_CODE = "sq"
LANGUAGES = [("sq", _("Albanian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Tirane"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
# Sessions end after this many idle minutes (every request renews them) and
# when the browser closes: municipal PCs are shared.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# However busy, a session ends this many hours after its log-in (a working
# day): socialplan.accounts.session_lifetime.SessionLifetimeMiddleware.
SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "8"))

# HTTPS. Production turns each switch on; each can still be set on its own
# (docs/deployment.md), e.g. SECURE_SSL_REDIRECT=0 when the proxy redirects.
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# HSTS: a browser that saw the header refuses plain HTTP for this long (a year).
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# Preloading binds the whole registrable domain for years: only on request.
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a reverse proxy that ends TLS: trust its X-Forwarded-Proto, and only
# then (a client could send the header itself to a server without a proxy).
if _env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles, fonts and frames
# from this site only, no inline script or style, no plugins, and no page of
# ours inside another site's frame. Charts and QR codes are inline SVG
# elements or data: images. No page is relaxed: the admin has no inline
# script, and the API's Swagger UI comes from django-ninja's static files
# (docs/deployment.md, "Content-Security-Policy").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploaded evidence files: outside the static files, served only through views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# Refuse large uploads before they are read (evidence files are small documents).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024

# Background work (reading uploaded lists, large imports, expiring abandoned
# uploads) runs in `manage.py db_worker`, beside the web workers: the queue is a
# table in the application's own database, so SQLite and PostgreSQL need no
# other service. Tests run tasks immediately (conftest.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Where the reviewed data files live (the plan, the territory).
DATA_DIR = BASE_DIR / "data"
# The official HSDS 3.0 schemas that exports are validated against and imports read.
HSDS_SCHEMA_DIR = Path(os.environ.get("HSDS_SCHEMA_DIR", DATA_DIR / "hsds-3.0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
