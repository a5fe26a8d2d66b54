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
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # SQLite needs no liveness check; a PostgreSQL connection may have been dropped by the server.
        "SQLALCHEMY_ENGINE_OPTIONS": {} if database_url.startswith("sqlite") else {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("LMS_RATELIMIT", True),
        "RATELIMIT_HEADERS_ENABLED": False,
        "LMS_DEFAULT_LOCALE": os.environ.get("LMS_DEFAULT_LOCALE", "ru"),
        "LMS_COURSES_PATH": os.environ.get("LMS_COURSES_PATH", str(ROOT / "courses")),
        "LMS_DEMO_PASSWORD": os.environ.get("LMS_DEMO_PASSWORD", "election-demo"),
        "LMS_LOGIN_LIMIT": os.environ.get("LMS_LOGIN_LIMIT", "10 per minute"),
        "LMS_PASSWORD_MEMORY_KIB": int(os.environ.get("LMS_PASSWORD_MEMORY_KIB", "65536")),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "WTF_CSRF_TIME_LIMIT": None,  # a slow learner must not lose a quiz to an expired token
        "BABEL_DEFAULT_LOCALE": os.environ.get("LMS_DEFAULT_LOCALE", "ru"),
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SEND_FILE_MAX_AGE_DEFAULT": 7 * 24 * 3600,
    }
