"""Certificates of completion: stored records issued once per completion, checked by anyone at
/verify/<code>, revoked with a reason, independent of SECRET_KEY, downloadable as a PDF."""
import base64
import io
import json
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from lms import create_app
from lms.auth.models import Role
from lms.extensions import db
from lms.learn import certificate_records
from lms.learn.models import Certificate, ModuleCompletion
from lms.train.models import AuditEvent
from tests.conftest import Browser
from tests.learn.helpers import answers, start_quiz, submit
from tests.test_i18n import visible_text
from tests.train.test_assignments import signed_in

CODE = re.compile(r"/verify/([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})")


def complete(app, browser):
    for lesson in ("first", "second"):
        browser.get(f"/learn/modules/sample-module/lessons/{lesson}")
    aid = start_quiz(browser)
    submit(browser, aid, answers(app, aid))


def text_of(response) -> str:
    return " ".join(visible_text(response.get_data(as_text=True)).split())


def certificates(app) -> list[Certificate]:
    with app.app_context():
        rows = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()
        db.session.expunge_all()
        return rows


def completed(app, browser, make, course, **kw):
    """A learner of KZ-A-1-1 who has completed the module; returns (tree, learner id, grouped code)."""
    tree = make.tree()
    learner = make.user("ann", unit=tree["KZ-A-1-1"], **kw)
    make.assign(course, user=learner)
    browser.login("ann")
    complete(app, browser)
    page = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
    return tree, learner, CODE.search(page).group(1)


def test_a_certificate_is_issued_once_on_completion_and_checked_by_anyone(app, browser, make, course, database):
    tree = make.tree()
    learner = make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann <Akhmetova>")
    make.assign(course, user=learner)
    browser.login("ann")
    assert browser.get("/learn/modules/sample-module/certificate").status_code == 404  # not complete yet
    assert "Your certificate" not in browser.get("/learn/").get_data(as_text=True)
    complete(app, browser)
    [issued] = certificates(app)  # issued with the completion, before any page asks for it
    assert issued.full_name == "Ann <Akhmetova>" and issued.module_title == "Sample module"
    assert issued.score == 100.0 and issued.unit_code == "KZ-A-1-1" and issued.revoked_at is None
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{16}", issued.code)
    dash = browser.get("/learn/").get_data(as_text=True)
    assert 'href="/learn/modules/sample-module/certificate"' in dash
    module_page = browser.get("/learn/modules/sample-module").get_data(as_text=True)
    assert 'href="/learn/modules/sample-module/certificate.pdf"' in module_page
    page = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
    assert "<strong>Ann &lt;Akhmetova&gt;</strong>" in page  # the name is shown, and escaped
    assert "with a score of 100%" in page and "KZ-A-1-1" in page
    assert 'href="/learn/modules/sample-module/certificate.pdf"' in page
    code = CODE.search(page).group(1)
    assert code.replace("-", "") == issued.code and f"http://localhost/verify/{code}" in page
    browser.get("/learn/modules/sample-module/certificate")
    assert len(certificates(app)) == 1  # pages do not issue a second one

    public = app.test_client()  # nobody signed in
    check = public.get(f"/verify/{code}")
    assert check.status_code == 200
    text = text_of(check)
    assert "This certificate is valid." in text and "Ann <Akhmetova>" in text and "Sample module" in text
    assert "100%" not in text and "KZ-A-1-1" not in text  # only the name, the module and the date
    typed = " ".join(code.lower().replace("-", ""))  # lower case, spaces: still the same certificate
    assert public.get(f"/verify/{typed}").status_code == 200
    assert public.get(f"/verify/{code.replace('-', '')}").status_code == 200
    form = public.get(f"/verify?code={code.lower().replace('-', ' ')}")
    assert form.status_code == 303 and form.headers["Location"].endswith(f"/verify/{code}")
    assert "Certificate code" in text_of(public.get("/verify"))
    typo = public.get("/verify?code=ab/cd")
    assert typo.status_code == 404 and "No certificate has the code ab/cd." in text_of(typo)

    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (wrong, "x-y", "99999999999-abc", code + "X", "0" * 16, "1-" + "a" * 20):
        unknown = public.get(f"/verify/{bad}")
        assert unknown.status_code == 404, bad
        assert "No certificate has the code" in text_of(unknown)


def test_certificate_is_only_for_the_officials_own_completed_modules(app, browser, make, course, database):
    tree = make.tree()
    ann = make.user("ann", unit=tree["KZ-A-1-1"])
    make.user("bob", unit=tree["KZ-A-1-1"])
    make.assign(course, user=ann)
    browser.login("ann")
    complete(app, browser)
    bob = signed_in(app, "bob")  # not assigned: the module is not found for him
    assert bob.get("/learn/modules/sample-module/certificate").status_code == 404
    assert bob.get("/learn/modules/sample-module/certificate.pdf").status_code == 404
    trainer = make.user("tina", Role.TRAINER, tree["KZ-A"])
    assert trainer and signed_in(app, "tina").get("/learn/modules/sample-module/certificate").status_code == 404
    assert app.test_client().get("/learn/modules/sample-module/certificate.pdf").status_code in (302, 401)


def test_revoking_a_certificate_with_a_reason(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course)
    [cert] = certificates(app)
    make.user("tina", Role.TRAINER, tree["KZ-A"])
    make.user("kyrgyz", Role.TRAINER, tree["KG-A"])
    make.user("mona", Role.MONITOR)
    url = f"/train/learners/{learner}/certificates/{cert.id}/revoke"
    record = f"/train/learners/{learner}"

    other = signed_in(app, "kyrgyz")  # a trainer of another oblast does not find the learner
    assert other.post(url, {"reason": "Cheating"}, from_page="/train/").status_code == 404
    assert signed_in(app, "mona").post(url, {"reason": "x"}, from_page="/account/password").status_code == 403
    tina = signed_in(app, "tina")
    page = tina.get(record).get_data(as_text=True)
    assert "Revoke this certificate" in page and code in page
    assert tina.client.post(url, data={"reason": "Cheating"}).status_code == 400  # no CSRF token
    blank = tina.post(url, {"reason": "   "}, from_page=record)
    assert blank.status_code == 200
    assert "Give the reason for revoking the certificate." in text_of(blank) and 'aria-invalid="true"' in \
        blank.get_data(as_text=True)
    assert certificates(app)[0].revoked_at is None
    assert app.test_client().get(f"/verify/{code}").status_code == 200

    done = tina.post(url, {"reason": "Another person took the quiz."}, from_page=record)
    assert done.status_code == 303 and done.headers["Location"].endswith(f"{record}#certificates")
    assert "The certificate has been revoked." in text_of(tina.get(record))
    again = tina.post(url, {"reason": "Twice"}, from_page=record)
    assert again.status_code == 303 and "had already been revoked" in text_of(tina.get(record))
    [cert] = certificates(app)
    assert cert.revoke_reason == "Another person took the quiz." and cert.revoked_at is not None
    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "certificate.revoke")).all()
        assert len(events) == 1 and events[0].target_id == learner and events[0].details["code"] == code

    check = app.test_client().get(f"/verify/{code}")
    assert check.status_code == 200
    text = text_of(check)
    assert "This certificate was revoked on" in text and "Reason: Another person took the quiz." in text
    assert "This certificate is valid." not in text
    own = browser.get("/learn/modules/sample-module/certificate")
    assert "This certificate was revoked on" in text_of(own) and "certificate.pdf" not in own.get_data(as_text=True)
    assert browser.get("/learn/modules/sample-module/certificate.pdf").status_code == 404
    assert "certificate.pdf" not in browser.get("/learn/modules/sample-module").get_data(as_text=True)


def test_an_admin_may_revoke_too(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course)
    [cert] = certificates(app)
    make.user("root", Role.ADMIN)
    root = signed_in(app, "root")
    record = f"/train/learners/{learner}"
    response = root.post(f"/train/learners/{learner}/certificates/{cert.id}/revoke", {"reason": "Error"},
                         from_page=record)
    assert response.status_code == 303 and certificates(app)[0].revoked_at is not None
    assert root.post(f"/train/learners/{learner}/certificates/{cert.id + 99}/revoke", {"reason": "x"},
                     from_page=record).status_code == 404


def test_certificates_stay_valid_after_the_secret_key_changes(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course)
    with app.app_context():
        completion = db.session.scalar(sa.select(ModuleCompletion))
        old = certificate_records.legacy_code(completion)  # what an older version printed
    assert app.test_client().get(f"/learn/certificates/{old}").status_code == 200  # stored with the record now
    other = _second_app(app, SECRET_KEY="a-new-key-after-rotation")
    try:
        public = other.test_client()
        check = public.get(f"/verify/{code}")
        assert check.status_code == 200 and "This certificate is valid." in text_of(check)
        assert public.get(f"/learn/certificates/{old}").status_code == 200  # the old code too
        assert public.get(f"/verify/{old}").status_code == 200
        with other.app_context():
            assert certificate_records.legacy_code(db.session.scalar(sa.select(ModuleCompletion))) != old
    finally:
        with other.app_context():
            db.engine.dispose()


def test_an_old_signed_code_still_verifies(app, browser, make, course, database):
    """A completion from before the records: its certificate is issued when its old code is checked."""
    tree, learner, code = completed(app, browser, make, course)
    with app.app_context():
        db.session.execute(sa.delete(Certificate))  # as if completed before migration 0008, in a key-less run
        db.session.commit()
        old = certificate_records.legacy_code(db.session.scalar(sa.select(ModuleCompletion)))
    public = app.test_client()
    head, signature = old.split("-", 1)
    forged = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (f"{head}-{forged}", f"{int(head) + 1}-{signature}", old + "x"):
        assert public.get(f"/learn/certificates/{bad}").status_code == 404, bad
    assert certificates(app) == []
    for url in (f"/learn/certificates/{old}", f"/verify/{old}"):
        check = public.get(url)
        assert check.status_code == 200, url
        assert "This certificate is valid." in text_of(check) and "User" in text_of(check)
    [cert] = certificates(app)
    assert cert.legacy_code == old and cert.code != code.replace("-", "")


def _pdf(browser):
    from pypdf import PdfReader
    response = browser.get("/learn/modules/sample-module/certificate.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"].startswith("private")
    assert "attachment" in response.headers["Content-Disposition"]
    return PdfReader(io.BytesIO(response.data))


def test_the_pdf_is_in_the_learners_language_with_a_qr_code_of_the_check_page(app, browser, make, course,
                                                                             database):
    import zxingcpp
    tree, learner, code = completed(app, browser, make, course, full_name="Гульнара Исмаилова", locale="ru")
    reader = _pdf(browser)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    text = " ".join(page.extract_text().split())
    assert "Гульнара Исмаилова" in text and "Пробный модуль" in text
    assert "Свидетельство о прохождении обучения" in text and code in text and "KZ-A-1-1" in text
    assert "с результатом 100" in text and "Территория выдачи" in text
    [image] = page.images
    decoded = zxingcpp.read_barcodes(image.image)
    assert len(decoded) == 1
    address, statement = decoded[0].text.split("#")
    assert address == f"http://localhost/verify/{code}"
    assert app.test_client().get(address.removeprefix("http://localhost")).status_code == 200
    claims = verified(app.test_client(), statement)  # the fragment verifies with the published key
    [cert] = certificates(app)
    assert claims == {"c": code, "n": "Гульнара Исмаилова", "m": "Пробный модуль",
                      "d": cert.completed_at.date().isoformat()}
    # printed 55 mm wide at 200 dpi (433 pixels for the code and its quiet zone), it still reads
    printed = image.image.convert("L").resize((433, 433), Image.Resampling.BILINEAR)
    assert [d.text for d in zxingcpp.read_barcodes(printed)] == [decoded[0].text]


def verified(client, statement: str) -> dict:
    """The claims of a signed statement, checked here with cryptography against /verify/keys.json (a test's
    own check, not the app's); AssertionError if the signature or the key does not match."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    head, body, signature = statement.split(".")
    header = json.loads(_unb64(head))
    assert header["alg"] == "EdDSA"
    keys = {k["kid"]: k for k in client.get("/verify/keys.json").get_json()["keys"]}
    jwk = keys[header["kid"]]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"])).verify(_unb64(signature), f"{head}.{body}".encode())
    return json.loads(_unb64(body).decode("utf-8"))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _second_app(app, **config):
    """Another app on the same database (another process, another key, behind a proxy...)."""
    keep = ("SQLALCHEMY_DATABASE_URI", "LMS_COURSES_PATH", "SQLALCHEMY_ENGINE_OPTIONS", "LMS_VERIFY_LIMIT",
            "LMS_LOGIN_LIMIT", "LMS_PASSWORD_MEMORY_KIB", "LMS_DEFAULT_LOCALE", "SECRET_KEY", "LMS_SIGNING_KEY")
    return create_app({**{k: app.config[k] for k in keep}, "TESTING": True, **config})


def test_behind_the_proxy_the_qr_code_names_the_public_host(app, browser, make, course, database):
    import zxingcpp
    from pypdf import PdfReader
    tree, learner, code = completed(app, browser, make, course)
    proxied = _second_app(app, LMS_PROXY_HOPS=1)
    try:
        b = Browser(proxied.test_client())
        b.login("ann")
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lms.example.org"}
        page = b.get("/learn/modules/sample-module/certificate", headers=headers).get_data(as_text=True)
        assert f"https://lms.example.org/verify/{code}" in page
        response = b.get("/learn/modules/sample-module/certificate.pdf", headers=headers)
        [image] = PdfReader(io.BytesIO(response.data)).pages[0].images
        address, statement = zxingcpp.read_barcodes(image.image)[0].text.split("#")
        assert address == f"https://lms.example.org/verify/{code}"
        assert verified(proxied.test_client(), statement)["c"] == code
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_the_check_page_is_rate_limited(app, database):
    from lms.extensions import limiter
    client = app.test_client()
    app.config["LMS_VERIFY_LIMIT"] = "5 per minute"
    try:
        codes = [client.get("/verify/AAAA-BBBB-CCCC-DDDD").status_code for _ in range(7)]
    finally:
        app.config["LMS_VERIFY_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes[:5] == [404] * 5 and codes[-1] == 429


@pytest.mark.parametrize("typed,stored", [
    ("abcd-efgh-jkmn-pqrs", "ABCDEFGHJKMNPQRS"), (" ABCD EFGH JKMN PQRS ", "ABCDEFGHJKMNPQRS"),
    ("ABCD–EFGH–JKMN–PQRS", "ABCDEFGHJKMNPQRS"), ("ABCDEFGHJKMNPQR", None), ("ABCDEFGHJKMNPQRO", None), ("", None)])
def test_typed_codes(typed, stored):
    assert certificate_records.normalise(typed) == stored


def test_new_codes_are_random_and_printable():
    codes = {certificate_records.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(certificate_records.normalise(certificate_records.grouped(c)) == c for c in codes)
