"""The public keys that check certificates, at a fixed address, and the page that checks them offline.

`GET /verify/keys.json` is the JWK Set of the signing keys (the current one first, then the
retired ones still accepted). `GET /verify/offline` is one small self-contained HTML page in the
reader's language: the keys and the texts are written into it, its style and script are inline
(allowed by their SHA-256 in its Content-Security-Policy, which forbids every fetch), so that an
observer can save it and check a certificate's signed statement with no connection.
"""
from __future__ import annotations

import base64
import functools
import hashlib

from flask import jsonify, make_response, render_template, url_for
from flask_babel import gettext as _
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from lms.config import ROOT
from lms.core.templating import current_lang
from lms.learn import signing
from lms.learn.certificates import verify_bp
from lms.timeutil import today

STATIC = ROOT / "lms" / "static"


@functools.cache
def _inline(name: str) -> tuple[Markup, str]:
    """An asset's text, to be written into the page as it is, and its CSP source (`'sha256-...'`)."""
    text = (STATIC / name).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"  # our own file, never user input


def _texts() -> dict[str, str]:
    return {
        "genuine": _("Genuine: this statement was signed with the platform's key."),
        "not_genuine": _("Not genuine."),
        "not_confirmed": _("Not confirmed."),
        "tampered": _("The signature does not match the text: the statement was changed after it was signed, "
                      "or it was not signed with the platform's key."),
        "malformed": _("This is not a signed certificate statement. Paste the whole address from the QR code."),
        "unknown_key": _("It is signed with a key this copy of the page does not know. It may be forged, or newer "
                         "than this copy: save the page again when you are online."),
        "unsupported": _("This browser cannot check signatures. Use a current Chrome, Firefox or Safari, and open "
                         "this page from a saved copy or over HTTPS."),
        "revocation": _("A signed statement cannot tell whether the certificate was revoked later: only the check "
                        "online can. When you are online, open:"),
        "name": _("Full name"), "module": _("Module"), "date": _("Completed on"), "code": _("Code"),
    }


@verify_bp.get("/verify/keys.json")
def public_keys():
    """Public: the JWK Set of the keys that sign certificates, the current one first (GET; anyone, cacheable)."""
    response = jsonify(signing.keyring().jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # a partner's page may check statements itself
    return response


@verify_bp.get("/verify/offline")
def offline():
    """Public: the self-contained page that checks a signed statement without a connection (GET; anyone)."""
    keys = signing.keyring().by_kid()
    style, style_source = _inline("offline-check.css")
    script, script_source = _inline("offline-check.js")
    data = {"lang": current_lang(), "online": url_for("verify.lookup", _external=True), "text": _texts(),
            "keys": [{"kid": kid, "x": signing.b64url(raw)} for kid, raw in keys.items()]}
    data_json = htmlsafe_json_dumps(data, ensure_ascii=False, separators=(",", ":"))  # Cyrillic as it is: smaller
    response = make_response(render_template("learn/verify_offline.html", style=style, script=script, data=data_json,
                                             kids=", ".join(keys), today=today()))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src {script_source}; style-src {style_source}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-cache"
    return response
