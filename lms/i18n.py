"""Locale choice: the user's setting, then the session, then Accept-Language, then the default."""
from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal as babel_format_decimal
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

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


_INTEGER_PLACEHOLDER = re.compile(r"%\((\w+)\)d")


@functools.lru_cache(maxsize=4096)
def _integer(value: int, locale) -> str:
    return babel_format_decimal(value, locale=locale)


def format_number(value: int | float | Decimal) -> str:
    """Flask-Babel's format_decimal: `value` in the request's locale ("20 000" in Russian); whole
    numbers are memoised, since pages write the same few counts again and again."""
    if type(value) is int:
        return _integer(value, get_locale())
    return babel_format_decimal(value, locale=get_locale())


@functools.lru_cache(maxsize=4096)
def _with_string_placeholders(text: str) -> str:
    return _INTEGER_PLACEHOLDER.sub(r"%(\1)s", text)


def interpolate(text: str, variables: dict[str, Any], markup: bool = False) -> str:
    """`text % variables`, with every number written in the reader's locale ("20 000" in Russian);
    `markup`: `text` is HTML-safe and the variables are escaped (templates with autoescape).

    A `%(num)d` placeholder takes the localised figure too, so catalogs keep their usual form.
    """
    if not variables and "%" not in text:  # nothing to fill in: the same text, without formatting it
        return Markup(text) if markup else text
    text = _with_string_placeholders(text)
    if markup:
        text = Markup(text)
    return text % {key: format_number(value) if _is_number(value) else value for key, value in variables.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's gettext, with the numbers among `variables` localised (for flashed messages)."""
    text = _translations().ugettext(string)
    return interpolate(text, variables) if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Flask-Babel's ngettext, with `num` and the other numbers localised (for flashed messages)."""
    variables.setdefault("num", num)
    return interpolate(_translations().ungettext(singular, plural, num), variables)


def install_template_gettext(app) -> None:
    """Template gettext bound to the per-request catalog, like Flask-Babel's (Jinja's new style:
    the call fills its placeholders), except that numbers are written in the reader's locale."""
    app.jinja_env.install_gettext_callables(
        lambda s: _translations().ugettext(s),
        lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @pass_context
    def template_gettext(context, string: str, **variables: Any) -> str:
        """`_()` and `gettext()` in templates."""
        return interpolate(_translations().ugettext(string), variables, context.eval_ctx.autoescape)

    @pass_context
    def template_ngettext(context, singular: str, plural: str, num: int, **variables: Any) -> str:
        """`ngettext()` in templates."""
        variables.setdefault("num", num)
        return interpolate(_translations().ungettext(singular, plural, num), variables, context.eval_ctx.autoescape)

    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext, ngettext=template_ngettext)


def pick(text: dict[str, str] | None, lang: str) -> str:
    """Return `text` in `lang`, falling back to Russian, then English."""
    if not text:
        return ""
    for candidate in (lang, *FALLBACK):
        if text.get(candidate):
            return text[candidate]
    return next(iter(text.values()), "")
