"""The page chrome (site header and footer), rendered once and kept.

Every page shows the same header and footer for a given language, role and section; rendering
them costs as much as a small page. So each is rendered once per process and kind, with
placeholders where the request's own values go (the session's CSRF token, the path to come back
to after a language change), and those are filled in per request. The fragments depend only on
the templates, the catalogs and the routes, which change only with a new process; in debug mode,
where templates reload, nothing is kept.
"""
from __future__ import annotations

import functools

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape

from lms.core.templating import csrf_token, current_lang, request_path

_CSRF = "lms-chrome-csrf-token"  # placeholders: neither escaping nor a translation changes them
_NEXT = "lms-chrome-next-path"
_SECTIONS = {"learn": "learn", "train": "train", "remind": "train", "reports": "reports", "admin": "admin"}
_ENDPOINT_SECTIONS = {"auth.tokens": "tokens", "auth.change_password": "password", "auth.account": "account"}


def _section() -> str | None:
    """The main link this page belongs to (marked aria-current)."""
    return _SECTIONS.get(request.blueprint or "") or _ENDPOINT_SECTIONS.get(request.endpoint or "")


@functools.lru_cache(maxsize=1024)
def _rendered(template: str, key: tuple) -> str:
    lang, role, section, *_where = key
    return render_template(template, role=role, section=section, csrf=_CSRF, next=_NEXT, lang=lang)


def _fragment(template: str, role: str | None, section: str | None) -> str:
    key = (current_lang(), role, section, request.script_root, id(current_app.url_map))
    if current_app.jinja_env.auto_reload:  # debug: templates change under the running process
        return _rendered.__wrapped__(template, key)
    return _rendered(template, key)


def header() -> Markup:
    """The site header: the brand and, when signed in, the main links for the user's role."""
    role = current_user.role.value if current_user.is_authenticated else None
    html = _fragment("chrome/header.html", role, _section() if role else None)
    return Markup(html.replace(_CSRF, csrf_token()) if role else html)


def footer() -> Markup:
    """The site footer: the language form, which comes back to this page."""
    html = _fragment("chrome/footer.html", None, None)
    return Markup(html.replace(_CSRF, csrf_token()).replace(_NEXT, str(escape(request_path()))))
