"""The offline check page in Chromium: a genuine signed statement is accepted and shown, a tampered one
rejected, with no request to any other origin; a saved copy works with no connection, at any address."""
import base64
import json
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_babel import force_locale

from lms.learn import offline_check, signing, statements
from lms.learn.models import Certificate
from tests.browser.journey import AXE_PATH, axe_script, nu_check

NAME = "Гульнара Исмаилова"
CODE = "ABCD-EFGH-JKMN-PQRS"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _statement(app, keys=None) -> str:
    cert = Certificate(code=CODE.replace("-", ""), full_name=NAME, module_title="Пробный модуль",
                       completed_at=datetime(2026, 5, 4, 10, 30))
    return statements.sign(cert, keys or signing.keyring(app))


def _tampered(statement: str) -> str:
    """The same statement and signature, one letter of the name changed in the payload."""
    head, body, signature = statement.split(".")
    claims = json.loads(_unb64(body))
    claims["n"] = claims["n"].replace("Гульнара", "Гульнора")
    assert claims["n"] != NAME
    return f"{head}.{_b64(json.dumps(claims, ensure_ascii=False, separators=(',', ':')).encode())}.{signature}"


def _texts(app) -> dict:
    with app.test_request_context(), force_locale("ru"):
        return offline_check._texts()


def _result(page, kind: str) -> str:
    page.wait_for_selector(f"#result.{kind}")
    return " ".join(page.inner_text("#result").split())


@pytest.fixture
def russian(chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    yield context
    context.close()


def test_the_offline_page_accepts_a_genuine_statement_and_rejects_a_tampered_one(app, live_server, russian,
                                                                                  tmp_path):
    text = _texts(app)
    genuine = _statement(app)
    requested: list[str] = []
    russian.on("request", lambda request: requested.append(request.url))
    page = russian.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    response = page.goto(f"{live_server}/verify/offline#{genuine}")
    body, headers = response.body(), response.headers
    shown = _result(page, "good")
    assert page.get_attribute("html", "lang") == "ru"
    assert text["genuine"] in shown and NAME in shown and "Пробный модуль" in shown and CODE in shown
    assert "2026" in shown and text["revocation"] in shown  # the date, and that revocation needs the check online
    assert page.get_attribute("#result a", "href") == f"{live_server}/verify/{CODE}"
    assert page.get_attribute("#result", "role") == "status"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0  # readable at 360 px

    page.evaluate("statement => { location.hash = statement; }", _tampered(genuine))
    shown = _result(page, "bad")
    assert text["not_genuine"] in shown and text["tampered"] in shown and "Гульнора" not in shown

    page.fill("#statement", f"https://lms.example.org/verify/{CODE}#{genuine}")  # the QR code's whole address
    page.click("#check")
    assert NAME in _result(page, "good")
    page.fill("#statement", "not a statement")
    page.click("#check")
    assert text["malformed"] in _result(page, "bad")
    page.fill("#statement", _statement(app, signing.KeyRing(key := Ed25519PrivateKey.generate(),
                                                            (signing.raw_public(key),))))
    page.click("#check")
    assert text["unknown_key"] in _result(page, "bad")  # signed, but by a key the page does not know

    assert set(requested) == {f"{live_server}/verify/offline"}, requested  # the page itself, nothing else
    assert errors == []  # the policy allowed the inline style and script (their hashes match)

    # saved with the browser, opened where there is no connection
    saved = tmp_path / "check.html"
    saved.write_bytes(body)
    russian.set_offline(True)
    page.goto(f"{saved.as_uri()}#{genuine}")
    assert NAME in _result(page, "good")
    page.evaluate("statement => { location.hash = statement; }", _tampered(genuine))
    assert text["tampered"] in _result(page, "bad")
    russian.set_offline(False)

    # a cached copy served for the QR code's own address (as a service worker would), with the page's headers
    headers = {name: value for name, value in headers.items() if name.lower() != "content-length"}
    page.route(f"{live_server}/verify/{CODE}", lambda route: route.fulfill(status=200, headers=headers, body=body))
    page.goto(f"{live_server}/verify/{CODE}#{genuine}")
    assert NAME in _result(page, "good")
    assert errors == []


def test_a_browser_without_ed25519_is_told_it_cannot_check(app, live_server, russian):
    page = russian.new_page()
    page.add_init_script("Object.defineProperty(Crypto.prototype, 'subtle', {get() { return undefined; }})")
    page.goto(f"{live_server}/verify/offline#{_statement(app)}")
    assert _texts(app)["unsupported"] in _result(page, "bad")
    assert page.is_disabled("#check") and NAME not in page.inner_text("body")


def test_the_offline_page_passes_axe_and_the_html_checker(app, live_server, chromium, tmp_path):
    script = axe_script()
    context = chromium.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)  # to add axe-core
    page = context.new_page()
    page.route(live_server + AXE_PATH, lambda route: route.fulfill(path=str(script),
                                                                   content_type="application/javascript"))
    response = page.goto(f"{live_server}/verify/offline#{_statement(app)}")
    page.wait_for_selector("#result.good")
    page.add_script_tag(url=live_server + AXE_PATH)
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
        .filter(v => v.impact === "serious" || v.impact === "critical").map(v => `${v.id}: ${v.help}`)""")
    assert violations == []
    source = tmp_path / "offline_check.html"
    source.write_bytes(response.body())
    context.close()
    assert nu_check([source]) == []
