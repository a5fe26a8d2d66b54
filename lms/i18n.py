"""Locale choice: the user's setting, then the session, then Accept-Language, then the default."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user

from lms.config import LANGUAGES

#: Where a text is missing in the reader's language: Russian, then English (both are required).
FALLBACK = ("ru", "en")

LANGUAGE_NAMES = {
    "ru": "Русский", "kk": "Қазақша", "ky": "Кыргызча", "uz": "Oʻzbekcha",
    "tg": "Тоҷикӣ", "tk": "Türkmençe", "en": "English",
}


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context():  # CLI commands and background work
        return current_app.config["LMS_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or current_app.config["LMS_DEFAULT_LOCALE"]


def _translations():
    """The request's catalog, looked up once per request (Flask-Babel's lookup is costly per call)."""
    try:
        return g._lms_translations
    except AttributeError:
        g._lms_translations = get_translations()
        return g._lms_translations


def install_template_gettext(app) -> None:
    """Template gettext bound to the per-request catalog; same behaviour as Flask-Babel's."""
    app.jinja_env.install_gettext_callables(
        lambda s: _translations().ugettext(s),
        lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def pick(text: dict[str, str] | None, lang: str) -> str:
    """Return `text` in `lang`, falling back to Russian, then English."""
    if not text:
        return ""
    for candidate in (lang, *FALLBACK):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")
