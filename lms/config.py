"""Settings, read from environment variables in one place (documented in README.md)."""
from __future__ import annotations

import os
from pathlib import Path

LANGUAGES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_options(database_url: str) -> dict[str, object]:
    """SQLAlchemy engine options. SQLite needs no pool settings; on PostgreSQL each process keeps
    LMS_DB_POOL_SIZE connections (plus LMS_DB_MAX_OVERFLOW at peaks), checks a connection before
    use (the server may have dropped it), and stops any statement after LMS_DB_STATEMENT_TIMEOUT ms
    (0: never; gunicorn.conf.py sets 15000 for the web workers, so that long CLI commands are not cut)."""
    if database_url.startswith("sqlite"):
        return {}
    timeout_ms = int(os.environ.get("LMS_DB_STATEMENT_TIMEOUT", "0"))
    return {
        "pool_pre_ping": True,
        "pool_size": int(os.environ.get("LMS_DB_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("LMS_DB_MAX_OVERFLOW", "5")),
        "pool_timeout": float(os.environ.get("LMS_DB_POOL_TIMEOUT", "10")),
        "pool_recycle": 1800,
        "connect_args": {"connect_timeout": int(os.environ.get("LMS_DB_CONNECT_TIMEOUT", "5")),
                         "options": f"-c statement_timeout={timeout_ms}",
                         "application_name": "lms"},
    }


def from_environment(instance_path: str) -> dict[str, object]:
    """Build the Flask config mapping from the process environment."""
    default_db = "sqlite:///" + os.path.join(instance_path, "lms.sqlite3")
    database_url = os.environ.get("DATABASE_URL", default_db)
    if database_url.startswith("postgres://"):  # the old Heroku-style scheme
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("LMS_RATELIMIT", True),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis down: count in each process's memory meanwhile, and never fail a request for it
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "LMS_DEFAULT_LOCALE": os.environ.get("LMS_DEFAULT_LOCALE", "ru"),
        "LMS_LOG_FORMAT": os.environ.get("LMS_LOG_FORMAT", "json"),
        "LMS_PROXY_HOPS": int(os.environ.get("LMS_PROXY_HOPS", "0")),
        "LMS_COURSES_PATH": os.environ.get("LMS_COURSES_PATH", str(ROOT / "courses")),
        "LMS_DEMO_PASSWORD": os.environ.get("LMS_DEMO_PASSWORD", "election-demo"),
        "LMS_DEMO_LEARNERS": os.environ.get("LMS_DEMO_LEARNERS", "300"),  # checked by `demo seed`
        "LMS_LOGIN_LIMIT": os.environ.get("LMS_LOGIN_LIMIT", "10 per minute"),
        "LMS_VERIFY_LIMIT": os.environ.get("LMS_VERIFY_LIMIT", "30 per minute"),
        "LMS_OFFLINE_QUIZ_DAYS": int(os.environ.get("LMS_OFFLINE_QUIZ_DAYS", "14")),
        # certificates' signing key (lms.learn.signing): base64url of the Ed25519 seed; retired public keys
        "LMS_SIGNING_KEY": os.environ.get("LMS_SIGNING_KEY", ""),
        "LMS_SIGNING_OLD_PUBLIC_KEYS": os.environ.get("LMS_SIGNING_OLD_PUBLIC_KEYS", ""),
        "LMS_ISSUER_NAME": os.environ.get("LMS_ISSUER_NAME", "Election officials' training"),
        # the platform's public address: the home page of the accounts and the root of the activity ids in
        # xAPI statements (set it before the first statement is recorded: the ids must not change)
        "LMS_BASE_URL": os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000"),
        # forwarding of xAPI statements to a learning record store (lms.xapi.forward); empty: not forwarded
        "LMS_XAPI_ENDPOINT": os.environ.get("LMS_XAPI_ENDPOINT", ""),
        "LMS_XAPI_USERNAME": os.environ.get("LMS_XAPI_USERNAME", ""),
        "LMS_XAPI_PASSWORD": os.environ.get("LMS_XAPI_PASSWORD", ""),
        "LMS_XAPI_RETRY_SECONDS": float(os.environ.get("LMS_XAPI_RETRY_SECONDS", "10")),
        # reminders (lms.remind): SMTP and the SMS gateway; empty: messages are recorded and shown in the app only
        "LMS_SMTP_URL": os.environ.get("LMS_SMTP_URL", ""),
        "LMS_MAIL_FROM": os.environ.get("LMS_MAIL_FROM", ""),
        "LMS_SMS_URL": os.environ.get("LMS_SMS_URL", ""),
        "LMS_SMS_TOKEN": os.environ.get("LMS_SMS_TOKEN", ""),
        "LMS_REMINDER_DAYS": os.environ.get("LMS_REMINDER_DAYS", "7,1"),
        "LMS_REMINDER_OVERDUE_WITHIN": int(os.environ.get("LMS_REMINDER_OVERDUE_WITHIN", "30")),
        "LMS_REMINDER_RETRY_SECONDS": float(os.environ.get("LMS_REMINDER_RETRY_SECONDS", "60")),
        "LMS_PHONE_REGION": os.environ.get("LMS_PHONE_REGION", "KZ"),
        "LMS_PASSWORD_MEMORY_KIB": int(os.environ.get("LMS_PASSWORD_MEMORY_KIB", "65536")),
        # Secure on every HTTPS request anyway (lms.auth.sessions); this forces it on plain HTTP too
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "LMS_SESSION_IDLE_MINUTES": int(os.environ.get("LMS_SESSION_IDLE_MINUTES", "120")),
        "LMS_SESSION_MAX_HOURS": int(os.environ.get("LMS_SESSION_MAX_HOURS", "12")),
        "LMS_LOCKOUT_FAILURES": int(os.environ.get("LMS_LOCKOUT_FAILURES", "10")),
        "LMS_LOCKOUT_MINUTES": int(os.environ.get("LMS_LOCKOUT_MINUTES", "30")),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "WTF_CSRF_TIME_LIMIT": None,  # a slow learner must not lose a quiz to an expired token
        "BABEL_DEFAULT_LOCALE": os.environ.get("LMS_DEFAULT_LOCALE", "ru"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,  # asset URLs carry a hash of the content
    }
