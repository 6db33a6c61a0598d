"""Settings for the clinic web application.

Everything comes from the environment, with defaults that make `make run` work on a fresh
machine:

- ``WEIZHONG_DATA_DIR``: where the SQLite database, the secret key and the outbox live
  (default ``~/.local/share/weizhong``);
- ``DATABASE_URL``: ``postgres://user:pass@host/db`` switches to PostgreSQL, nothing else changes;
- ``WEIZHONG_SECRET_KEY``: the signing key; otherwise one is generated once into the data dir;
- ``WEIZHONG_DEBUG=1``: Django's debug pages (never in a clinic);
- ``WEIZHONG_ALLOWED_HOSTS``: comma-separated host names (default: localhost only);
- ``WEIZHONG_EMAIL_BACKEND`` / ``EMAIL_HOST`` …: how reminders are sent (default: files in the
  data dir's ``outbox``, so nothing leaves the machine until a clinic configures mail).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(
    os.environ.get("WEIZHONG_DATA_DIR") or Path.home() / ".local" / "share" / "weizhong"
).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("WEIZHONG_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("WEIZHONG_DEBUG") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("WEIZHONG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "ninja",  # its Swagger UI files, so /api/v1/docs works offline
    "axes",  # locks an account after repeated failed sign-ins
    "weizhong.clinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "weizhong.clinic.accounts.sessions.SessionPolicyMiddleware",
    "weizhong.clinic.accounts.second_factor.SecondFactorMiddleware",
    "weizhong.clinic.accounts.access.ClinicMiddleware",
    "weizhong.clinic.audit.trail.AuditMiddleware",
    "weizhong.clinic.api.auth.JsonBodyMiddleware",
    "weizhong.clinic.accounts.sessions.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one account lock it for 15 minutes, and five from one address lock
# that address (password spraying across accounts). The cool-off is short so that a clinic
# behind one shared address is not kept out for long by someone's typos.
AXES_FAILURE_LIMIT = int(os.environ.get("WEIZHONG_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "clinic/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "weizhong.site.urls"
FORM_RENDERER = "weizhong.clinic.web.forms.ClinicFormRenderer"
WSGI_APPLICATION = "weizhong.site.wsgi.application"

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
                "weizhong.clinic.accounts.access.clinic_context",
            ],
        },
    }
]

# SQLite: WAL so readers never wait for the writer, IMMEDIATE transactions so two writers queue
# on the lock instead of failing half way ("database is locked"), synchronous=FULL so an
# acknowledged write survives a power cut. DATABASE_URL switches to PostgreSQL.
_SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": DATA_DIR / "weizhong.sqlite3",
    "OPTIONS": {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=20000;"
        ),
    },
}
DATABASES: dict[str, Any]
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {"default": _SQLITE}
# Reads run in autocommit; every save is one explicit transaction.atomic() (IMMEDIATE on SQLite).

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
WEIZHONG_IDLE_MINUTES = int(os.environ.get("WEIZHONG_IDLE_MINUTES", "15"))
WEIZHONG_SESSION_HOURS = int(os.environ.get("WEIZHONG_SESSION_HOURS", "12"))
SESSION_COOKIE_AGE = WEIZHONG_SESSION_HOURS * 60 * 60
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Behind HTTPS (every real clinic): WEIZHONG_HTTPS=1 makes cookies secure, redirects plain HTTP
# and sends HSTS; `weizhong manage check --deploy` then reports nothing. A TLS-terminating proxy
# in front sets X-Forwarded-Proto; WEIZHONG_TRUSTED_PROXY=1 trusts it (and X-Forwarded-For).
WEIZHONG_TRUSTED_PROXY = os.environ.get("WEIZHONG_TRUSTED_PROXY") == "1"
if os.environ.get("WEIZHONG_HTTPS") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if WEIZHONG_TRUSTED_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("WEIZHONG_TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get(
    "WEIZHONG_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("WEIZHONG_FROM_EMAIL", "clinic@localhost")

# The audit trail is always on in a clinic. WEIZHONG_AUDIT=0 exists only so that the benchmark
# can measure what auditing costs (make reliability reports the ratio).
WEIZHONG_AUDIT = os.environ.get("WEIZHONG_AUDIT", "1") != "0"

# The clinic's public address (https://clinic.example.org), for links that leave the server: the
# portal link in a reminder, the links in CDS Hooks cards. Required behind HTTPS (a system check
# refuses to start without it); elsewhere links use the address the request came to (and a
# reminder, sent outside any request, http://127.0.0.1:8000).
WEIZHONG_BASE_URL = os.environ.get("WEIZHONG_BASE_URL", "").strip().rstrip("/")
# Origins allowed to call the CDS Hooks service from a browser (comma-separated, e.g.
# "https://ehr.example.org,https://ehr-test.example.org"); "*" (the default) allows any.
WEIZHONG_CDS_ORIGINS = tuple(
    o.strip().rstrip("/")
    for o in os.environ.get("WEIZHONG_CDS_ORIGINS", "*").split(",")
    if o.strip()
) or ("*",)

# The CDS clients (EHRs) this clinic trusts: a TOML file of [[client]] entries, each with its
# issuer, name, public keys and FHIR servers (docs/interop.md). Absent: none is trusted, and
# without HTTPS the service answers without a token but never reads from fhirServer.
WEIZHONG_CDS_CLIENTS = Path(
    os.environ.get("WEIZHONG_CDS_CLIENTS") or DATA_DIR / "cds-clients.toml"
).resolve()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
