"""Locale choice: the user's setting, then the session, then Accept-Language, then the default."""
from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

from lms.config import LANGUAGES

LANGUAGE_NAMES = {
    "ru": "Русский", "kk": "Қазақша", "ky": "Кыргызча", "uz": "Oʻzbekcha",
    "tg": "Тоҷикӣ", "tk": "Türkmençe", "en": "English",
}


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or current_app.config["LMS_DEFAULT_LOCALE"]
