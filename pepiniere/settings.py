"""Pépinière settings: one file, read from the environment (see README "Configuration")."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from pepiniere.lib.env import env_bool, env_int, env_list, env_str, secret_key_weakness

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PEPINIERE_VAR_DIR", str(BASE_DIR / "var")))

# Development by default (a fresh clone runs with no configuration); production sets DEBUG=0.
DEBUG = env_bool("DEBUG", True)
# Under pytest the suite needs no configuration at all; anywhere else without DEBUG, SECRET_KEY is required.
TESTING = "pytest" in sys.modules
_INSECURE_DEV_KEY = "django-insecure-pepiniere-development-key-change-me-0123456789abcdefgh"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEV_KEY if (DEBUG or TESTING) else None)
if not DEBUG and not TESTING:
    # A weak key stops the start (Django's deploy check only warns): same criteria as its W009.
    weak_reason = secret_key_weakness(SECRET_KEY)
    if weak_reason:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for production ({weak_reason}). Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "pepiniere.accounts.admin_apps.PepiniereAdminConfig",  # the admin (lib/admin.py) + our login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "axes",  # failed logins: counted for throttling, stored for the record
    "django_otp",
    "django_otp.plugins.otp_totp",  # authenticator apps (TOTP)
    "django_otp.plugins.otp_static",  # single-use recovery codes
    "ninja",  # its templates and static files: the interactive API docs work offline
    "pepiniere.lib",
    "pepiniere.audit",
    "pepiniere.territories",
    "pepiniere.accounts",
    "pepiniere.organisations",
    "pepiniere.programmes",
    "pepiniere.calls",
    "pepiniere.applications",
    "pepiniere.reviews",
    "pepiniere.selection",
    "pepiniere.grants",
    "pepiniere.builder",
    "pepiniere.agreements",
    "pepiniere.payments",
    "pepiniere.crowdfunding",
    "pepiniere.portfolio",
    "pepiniere.accelerator",
    "pepiniere.impact",
    "pepiniere.opendata",
    "pepiniere.home",
    "pepiniere.api",
    "pepiniere.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified() (second factor passed)
    "pepiniere.lib.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pepiniere.lib.middleware.BadRequestMiddleware",
    # Last: turns a locked-out login into the French "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pepiniere.urls"
WSGI_APPLICATION = "pepiniere.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pepiniere" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pepiniere.home.context_processors.menu",
                "django.template.context_processors.csp",  # {{ csp_nonce }} (the admin uses it)
            ],
        },
    },
]

# SQLite under var/ by default so that a fresh clone works with one command; PostgreSQL in production.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pepiniere.sqlite3'}")
# Persistent connections in production (a PostgreSQL connection costs a backend process and a
# few milliseconds of CPU per request otherwise); none with the development server, which runs
# each request in a new thread and would leave one connection behind per request.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL + a busy timeout let the autosave requests and the demo server share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login (site or /admin/) while the client is locked out.
    "pepiniere.accounts.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Login throttling (django-axes, see accounts/throttle.py): failures counted over a window of
# LOGIN_LOCKOUT_MINUTES, with one limit per (account, address) pair, per account and per address.
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
LOGIN_LIMIT_PER_PAIR = env_int("LOGIN_LIMIT_PER_PAIR", 5)
LOGIN_LIMIT_PER_ACCOUNT = env_int("LOGIN_LIMIT_PER_ACCOUNT", 20)
LOGIN_LIMIT_PER_ADDRESS = env_int("LOGIN_LIMIT_PER_ADDRESS", 200)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: REMOTE_ADDR is the client).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_ENABLED = env_bool("LOGIN_THROTTLE", True)
# Requests a minute one API token may make (api/auth.py), counted in the default cache: set a
# cache shared by the web processes (CACHES) for the limit to hold across them.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
AXES_HANDLER = "pepiniere.accounts.throttle.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_FAILURE_LIMIT = 100  # percent of each parameter's own limit (LoginThrottleHandler)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one stored row per failed login (admin: Axes)
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept (personal data, no need)
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "pepiniere.accounts.throttle.client_username"
AXES_CLIENT_IP_CALLABLE = "pepiniere.accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "pepiniere.accounts.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Second factor (django-otp, see accounts/mfa.py): staff (officer, finance, jury, admin) must use
# one when this is on, which it is by default in production. The demo turns it off.
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", not DEBUG)
OTP_TOTP_ISSUER = "Pépinière"
# The demo (`pepiniere demo`) shows its second-factor accounts and their current codes.
DEMO_MODE = env_bool("PEPINIERE_DEMO", False)
if DEMO_MODE:
    # The demo runs with DEBUG on; its visitors still read the site's French 404/500 pages.
    MIDDLEWARE.insert(0, "pepiniere.demo.middleware.DemoErrorPagesMiddleware")
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:index"  # each role lands on its work (home/menu.py)
LOGOUT_REDIRECT_URL = "calls:catalogue"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "pepiniere" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "pepiniere" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# collectstatic compresses every file (gzip + brotli): only the hashed copies that pages link
# are kept, and source maps (5 MB of the API docs' bundles, read only by a developer's browser
# tools) are not compressed. Both keep a release's collectstatic to seconds, not minutes.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Attachments are private: stored outside any served folder, streamed by a view that checks access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "private")))
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email (Django 6.1 MAILERS). The console backend prints messages (demo, development); set
# EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* variables for SMTP.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or TESTING
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": _EMAIL_BACKEND}}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 30),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pépinière <no-reply@pepiniere.test>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Agreements (pepiniere/agreements/signing.py): the signature process, and the PKCS#12 certificate
# that seals fully signed agreements (PAdES). Without one, a self-signed certificate is made and
# kept under var/signing/ (demo, tests): see the README, « Conventions ».
AGREEMENT_SIGNER = env_str(
    "PEPINIERE_AGREEMENT_SIGNER", "pepiniere.agreements.signing.PlatformSigner"
)
SIGNING_P12 = env_str("PEPINIERE_SIGNING_P12", "")
SIGNING_P12_PASSWORD = env_str("PEPINIERE_SIGNING_P12_PASSWORD", "")
SIGNING_SELF_SIGNED_DIR = VAR_DIR / "signing"

TASKS = {
    "default": {
        # Tests run tasks inline; everywhere else the database queue and `pepiniere db_worker`.
        "BACKEND": env_str(
            "TASKS_BACKEND",
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend",
        ),
    }
}

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 2 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; kept default

SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware): only our own files run or style a page; no
# inline script, style attribute or handler anywhere (templates, htmx: see base.html), scripts that
# Django's admin writes inline carry the request's nonce. Checked page by page by
# tests_demo/test_csp.py and, in Chromium, by tests_browser/test_csp.py.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # Swagger UI (API docs) draws its icons as data: URIs
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
