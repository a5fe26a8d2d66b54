"""Template helpers: the current language, localised texts, numbers and dates."""
from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_percent as babel_format_percent
from flask import Flask, current_app, g, has_request_context, request, session, url_for
from flask_babel import force_locale, format_date, format_datetime, get_locale
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

from lms.i18n import LANGUAGE_NAMES, format_number, pick


def current_lang() -> str:
    """The request's language code, computed once per request."""
    try:
        return g._lms_lang
    except AttributeError:
        g._lms_lang = str(get_locale() or "ru")
        return g._lms_lang


_REQUEST_CACHES = ("_lms_lang", "_lms_translations")  # what the request keeps of its language


@contextmanager
def shown_in(lang: str) -> Iterator[None]:
    """Render as a reader of `lang` would see it, inside a request in another language: the interface's
    words, the course texts and the formats of numbers and dates. The request's own language is back after."""
    saved = {name: g.pop(name) for name in _REQUEST_CACHES if name in g}
    try:
        with force_locale(lang):
            g._lms_lang = lang
            yield
    finally:
        for name in _REQUEST_CACHES:
            g.pop(name, None)
        for name, value in saved.items():
            setattr(g, name, value)


def format_date_cached(d, fmt: str = "medium") -> str:
    """Babel's date formatting (of the calendar day), memoised: pages and tables repeat the same few dates."""
    if not d:
        return ""
    if isinstance(d, datetime):  # a date is shown for the calendar day only
        d = d.date()
    return _date(d, fmt, get_locale())


@functools.lru_cache(maxsize=4096)
def _date(d, fmt: str, locale) -> str:
    return format_date(d, fmt)  # in `locale`, the request's: a date (not a datetime) knows no time zone


def number(value, missing: str = "—") -> str:
    """A count or figure in the reader's locale: 20000 -> "20,000" in English, "20 000" in Russian."""
    if value is None:
        return missing
    return format_number(value)


def percent(value, digits: int = 1, missing: str = "—") -> str:
    """A percentage given on the 0-100 scale, in the reader's locale, with at most `digits` decimals:
    66.666 -> "66.7%" in English, "66,7 %" in Russian; 70 -> "70%"."""
    if value is None:
        return missing
    return _percent(str(round(float(value), digits)), get_locale())


@functools.lru_cache(maxsize=4096)
def _percent(value: str, locale) -> str:
    share = (Decimal(value) / 100).normalize()
    if share == share.to_integral_value():  # 1E+1 and the like: keep a plain exponent
        share = share.quantize(Decimal(1))
    return babel_format_percent(share, locale=locale, decimal_quantization=False)


def short_date(d) -> str:
    """Day and month only, in the reader's locale ("3/14" in English, "14.03" in Russian), for chart labels."""
    return format_skeleton("Md", d, locale=get_locale())


@functools.cache
def _language_name(code: str, reader: str) -> str:
    return Locale.parse(code).get_display_name(reader) or code


def language_name(code: str) -> str:
    """A language's name in the reader's language, as used inside a sentence: "Russian", "русский"."""
    return _language_name(code, current_lang())


@functools.lru_cache(maxsize=4096)
def _signed_csrf(secret_key: str | bytes, raw: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token").dumps(raw)  # as Flask-WTF signs it


def csrf_token() -> str:
    """Flask-WTF's `csrf_token()` for templates, with the signed form of each session's token kept:
    signing it anew costs more than the rest of a page's forms. Tokens here never expire
    (WTF_CSRF_TIME_LIMIT None), so a signature made on an earlier page validates alike."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    if field not in g and isinstance(raw, str) and config.get("WTF_CSRF_TIME_LIMIT", 3600) is None:
        setattr(g, field, _signed_csrf(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw))
    return generate_csrf()


@functools.lru_cache(maxsize=8192)
def _built_url(where: tuple[int, str, str, str], endpoint: str, values: tuple) -> str:
    return url_for(endpoint, **dict(values))


def cached_url_for(endpoint: str, **values) -> str:
    """`url_for` for templates, memoised: every page builds the same menu, asset (with its content
    hash) and module links again. A URL depends only on the app's routes, the request's host, scheme
    and script root, the endpoint and the values (the url_defaults here add only the assets' hashes);
    a relative endpoint (".x") depends on the request's blueprint and is built each time."""
    if endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    req = request._get_current_object()  # type: ignore[attr-defined]
    try:
        where = req.lms_url_base
    except AttributeError:  # the first URL of this request
        where = req.lms_url_base = (id(current_app.url_map), req.host, req.scheme, req.script_root)
    try:
        return _built_url(where, endpoint, tuple(values.items()) if values else ())  # in order: the query follows it
    except TypeError:  # an unhashable value (a list): build it as it is
        return url_for(endpoint, **values)


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"),
)


def request_path() -> str:
    """This page's path and query, to come back to after a form (`next`)."""
    return request.full_path.rstrip("?")


def init_app(app: Flask) -> None:
    """Install the template globals (csrf_token() in place of Flask-WTF's) and filters, and the security
    headers of every response."""
    @app.context_processor
    def globals_():
        """The current language, the language names, the request path and csrf_token() (over the
        one Flask-WTF's context processor gives), for every template."""
        return {"lang": current_lang(), "language_names": LANGUAGE_NAMES, "request_path": request_path(),
                "csrf_token": csrf_token}

    from lms.core import chrome

    app.jinja_env.globals["chrome"] = chrome  # {{ chrome.header() }}, {{ chrome.footer() }}
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["url_for"] = cached_url_for
    app.jinja_env.filters["t"] = lambda text: pick(text, current_lang())
    app.jinja_env.filters["date"] = format_date_cached
    app.jinja_env.filters["num"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["language_name"] = language_name
    app.jinja_env.filters["datetime"] = lambda d, fmt="medium": format_datetime(d, fmt) if d else ""
    versions: dict[str, str] = {}

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        """Name every asset with a hash of its content (?v=...), so that it may be cached for a year."""
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        name = values["filename"]
        if name not in versions:
            path = os.path.join(app.static_folder or "", name)
            try:
                with open(path, "rb") as f:
                    versions[name] = hashlib.sha256(f.read()).hexdigest()[:12]
            except OSError:
                versions[name] = ""
        if versions[name]:
            values["v"] = versions[name]

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def security_headers(response):
        """Add the content-security, framing, sniffing and referrer headers unless already set."""
        present = {name.lower() for name, _value in response.headers}  # (a missed lookup in Headers raises)
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response
