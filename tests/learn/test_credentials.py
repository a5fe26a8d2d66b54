"""Certificates that outlive the key: the signing key and its published public keys, the signed statement
in the QR code, key rotation, the offline check page, and the Open Badges 3.0 credential."""
import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys

import base58
import pytest
import rfc8785
import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms import create_app
from lms.auth.models import Role, User
from lms.config import ROOT
from lms.extensions import db
from lms.learn import certificate_records, credentials, signing
from lms.learn.models import Certificate
from tests.conftest import SIGNING_KEY
from tests.learn.test_certificates import _second_app, _unb64, certificates, completed, verified
from tests.train.test_assignments import signed_in


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public(seed_text: str) -> bytes:
    private = Ed25519PrivateKey.from_private_bytes(_unb64(seed_text))
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _statement(browser) -> str:
    """The signed statement in the QR code of the signed-in learner's PDF certificate."""
    import zxingcpp
    from pypdf import PdfReader
    response = browser.get("/learn/modules/sample-module/certificate.pdf")
    [image] = PdfReader(io.BytesIO(response.data)).pages[0].images
    return zxingcpp.read_barcodes(image.image)[0].text.split("#")[1]


def test_the_public_keys_are_published_as_a_jwk_set(app, client):
    response = client.get("/verify/keys.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    public = _public(SIGNING_KEY)  # computed here from the setting, not by the app
    kid = _b64(hashlib.sha256(public).digest()[:8])
    assert response.get_json() == {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": _b64(public), "kid": kid,
                                             "use": "sig", "alg": "EdDSA"}]}


def test_the_cli_prints_the_public_key(app):
    result = app.test_cli_runner().invoke(args=["certificates", "public-key"])
    public = _public(SIGNING_KEY)
    assert result.exit_code == 0, result.output
    assert f"public key (Ed25519, base64url): {_b64(public)}" in result.output
    assert f"kid: {_b64(hashlib.sha256(public).digest()[:8])}" in result.output
    assert f"did:key: {credentials.did_key(public)}" in result.output
    made = app.test_cli_runner().invoke(args=["certificates", "new-key"])
    seed = re.search(r"LMS_SIGNING_KEY=(\S+)", made.output).group(1)
    assert len(_unb64(seed)) == 32 and seed != SIGNING_KEY
    assert f"public key: {_b64(_public(seed))}" in made.output


def test_statements_outlive_a_new_secret_key_and_a_new_signing_key(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course, full_name="Гульнара Исмаилова")
    before = _statement(browser)
    assert verified(app.test_client(), before)["n"] == "Гульнара Исмаилова"
    new_secret = _second_app(app, SECRET_KEY="a-new-key-after-rotation")
    new_key = signing.seed_text(Ed25519PrivateKey.generate())
    rotated = _second_app(app, LMS_SIGNING_KEY=new_key, LMS_SIGNING_OLD_PUBLIC_KEYS=f" {_b64(_public(SIGNING_KEY))} ")
    forgotten = _second_app(app, LMS_SIGNING_KEY=new_key)  # the old key was dropped instead of kept
    try:
        assert verified(new_secret.test_client(), before)["c"] == code  # SECRET_KEY plays no part

        public = rotated.test_client()
        kids = [k["kid"] for k in public.get("/verify/keys.json").get_json()["keys"]]
        new_kid, old_kid = signing.key_id(_public(new_key)), signing.key_id(_public(SIGNING_KEY))
        assert kids == [new_kid, old_kid]  # the current key first, the retired one still published
        assert verified(public, before)["c"] == code  # a certificate printed before still checks out
        after = _statement(signed_in(rotated, "ann"))
        assert json.loads(_unb64(after.split(".")[0]))["kid"] == new_kid and after != before
        assert verified(public, after)["c"] == code
        page = public.get("/verify/offline").get_data(as_text=True)
        assert new_kid in page and old_kid in page

        with pytest.raises(KeyError):  # without LMS_SIGNING_OLD_PUBLIC_KEYS the old statements are unknown
            verified(forgotten.test_client(), before)
    finally:
        for other in (new_secret, rotated, forgotten):
            with other.app_context():
                db.engine.dispose()


@pytest.mark.parametrize("setting", [{"LMS_SIGNING_KEY": "too-short"}, {"LMS_SIGNING_KEY": "x" * 43 + "!"},
                                     {"LMS_SIGNING_OLD_PUBLIC_KEYS": "AAAA,"}])
def test_a_mistyped_key_setting_stops_the_app_at_start(setting):
    with pytest.raises(signing.BadSigningKey):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", **setting})


def _flask(args, instance, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "DATABASE_URL", "FLASK_"))}
    environment.update(LMS_INSTANCE_PATH=str(instance), SECRET_KEY="k" * 32, **env)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_without_a_setting_the_key_is_made_once_and_kept_in_the_instance_folder(tmp_path):
    first = _flask(["certificates", "public-key"], tmp_path)
    assert first.returncode == 0, first.stderr
    kept = tmp_path / "signing-key"
    assert kept.exists() and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert "LMS_SIGNING_KEY is not set" in first.stderr  # said, so that production sets it
    public = _public(kept.read_text().strip())
    assert f"public key (Ed25519, base64url): {_b64(public)}" in first.stdout
    second = _flask(["certificates", "public-key"], tmp_path)  # a restart: the same key
    assert second.returncode == 0 and second.stdout == first.stdout

    other = tmp_path / "configured"
    configured = _flask(["certificates", "public-key"], other, LMS_SIGNING_KEY=SIGNING_KEY)
    assert configured.returncode == 0 and _b64(_public(SIGNING_KEY)) in configured.stdout
    assert not (other / "signing-key").exists()
    bad = _flask(["certificates", "public-key"], other, LMS_SIGNING_KEY="nope")
    assert bad.returncode != 0 and bad.stderr.strip().splitlines() == [bad.stderr.strip()]  # one line
    assert "LMS_SIGNING_KEY must be" in bad.stderr and "Traceback" not in bad.stderr


def test_two_processes_that_make_the_key_at_once_agree(tmp_path):
    from lms.learn.signing import _read_or_create
    path = str(tmp_path / "signing-key")
    assert _read_or_create(path) == _read_or_create(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signing-key"]  # no temporary file left


def test_a_statement_too_long_for_a_readable_qr_code_is_left_out():
    import zxingcpp

    from lms.learn.certificate_pdf import MAX_QR_VERSION, qr_code, qr_image
    url = "https://lms.example.org/verify/ABCD-EFGH-JKMN-PQRS"
    fits, too_long = qr_code(url, "a.b.c"), qr_code(url, "x" * 1000)  # 1,050 bytes would need version 23 at L
    assert [d.text for d in zxingcpp.read_barcodes(qr_image(fits))] == [url + "#a.b.c"]
    assert too_long.version <= MAX_QR_VERSION
    assert [d.text for d in zxingcpp.read_barcodes(qr_image(too_long))] == [url]


# --- the Open Badges 3.0 credential ---------------------------------------------------------------

def check_proof(document: dict) -> None:
    """Verify an eddsa-jcs-2022 proof as the W3C cryptosuite says, with rfc8785 and cryptography only;
    InvalidSignature when it does not hold."""
    proof = dict(document["proof"])
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["@context"] == document["@context"]
    signature = base58.b58decode(proof.pop("proofValue").removeprefix("z"))
    did, fragment = proof["verificationMethod"].split("#")
    assert did == "did:key:" + fragment
    multikey = base58.b58decode(fragment.removeprefix("z"))
    assert multikey[:2] == b"\xed\x01" and len(multikey) == 34
    data = hashlib.sha256(rfc8785.dumps(proof)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    Ed25519PublicKey.from_public_bytes(multikey[2:]).verify(signature, data)


def test_the_credential_is_an_open_badge_whose_proof_verifies(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course, full_name="Гульнара Исмаилова", locale="ru")
    page = browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)
    assert 'href="/learn/modules/sample-module/certificate.json"' in page
    response = browser.get("/learn/modules/sample-module/certificate.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert f'filename="certificate-{code}.json"' in response.headers["Content-Disposition"]
    document = response.get_json()
    [cert] = certificates(app)

    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["id"] == f"http://localhost/verify/{code}"
    public = _public(SIGNING_KEY)
    did = "did:key:z" + base58.b58encode(b"\xed\x01" + public).decode()
    assert document["issuer"]["id"] == did and document["issuer"]["type"] == ["Profile"]
    assert document["issuer"]["name"] == "Election officials' training"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["validFrom"])
    assert document["validFrom"] == cert.issued_at.replace(microsecond=0).isoformat() + "Z"
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["name"] == "Гульнара Исмаилова"
    assert subject["identifier"][0]["identityHash"] == "Гульнара Исмаилова"
    achievement = subject["achievement"]
    assert achievement["id"] == "http://localhost/learn/modules/sample-module"
    assert achievement["type"] == ["Achievement"] and achievement["name"] == "Пробный модуль"
    assert achievement["description"] and achievement["criteria"]["narrative"]
    assert subject["result"] == [{"type": ["Result"], "resultDescription": achievement["resultDescription"][0]["id"],
                                  "value": "100"}]
    assert document["proof"]["verificationMethod"] == f"{did}#{did.removeprefix('did:key:')}"
    assert document["proof"]["proofPurpose"] == "assertionMethod"

    check_proof(document)
    for change in (lambda d: d["credentialSubject"].update(name="Гульнора Исмаилова"),
                   lambda d: d["credentialSubject"]["achievement"].update(name="Другой модуль"),
                   lambda d: d.update(validFrom="2020-01-01T00:00:00Z"),
                   lambda d: d["proof"].update(created="2020-01-01T00:00:00Z")):
        tampered = json.loads(json.dumps(document))
        change(tampered)
        with pytest.raises(InvalidSignature):
            check_proof(tampered)


def test_the_credential_is_only_for_its_owner_and_not_once_revoked(app, browser, make, course, database):
    tree, learner, code = completed(app, browser, make, course)
    url = "/learn/modules/sample-module/certificate.json"
    make.user("bob", unit=tree["KZ-A-1-1"])
    assert signed_in(app, "bob").get(url).status_code == 404  # another learner has no such certificate
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert browser.get(url).status_code == 200
    admin = make.user("root", Role.ADMIN)
    with app.app_context():
        cert = db.session.scalar(sa.select(Certificate))
        certificate_records.revoke(cert, db.session.get(User, admin), "Error")
        db.session.commit()
    assert browser.get(url).status_code == 404
    assert "certificate.json" not in browser.get("/learn/modules/sample-module/certificate").get_data(as_text=True)


def test_the_proof_matches_the_w3c_test_vector():
    """The eddsa-jcs-2022 example of W3C's test vectors (vc-di-eddsa, TestVectors/eddsa-jcs-2022): the same key,
    document and options give the same proofValue (Ed25519 signatures are deterministic)."""
    secret = base58.b58decode("3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")  # privateKeyMultibase
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    private = Ed25519PrivateKey.from_private_bytes(secret[2:])
    public = signing.raw_public(private)
    assert credentials.did_key(public) == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33", "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential", "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678", "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"}}
    options = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2023-02-24T23:36:38Z",
               "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
               "proofPurpose": "assertionMethod"}
    signed = credentials.add_proof(document, options, signing.KeyRing(private, (public,)))
    assert signed["proof"]["proofValue"] == ("z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBE"
                                             "sddF9LsVogtuTsijJKh4")
    assert signed["proof"]["@context"] == document["@context"]


# --- the offline check page -----------------------------------------------------------------------

def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_offline_page_is_one_small_self_contained_file(app, client):
    response = client.get("/verify/offline", headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(response.data) < 15_000, len(response.data)
    assert '<html lang="ru">' in html and "Проверка" in html
    # nothing to fetch: no stylesheet, script, image or frame from anywhere, and the policy forbids any fetch
    assert not re.search(r"<(link|script|img|iframe)[^>]+(src|href)=\"(?!data:)", html), html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src" not in policy
    [script] = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    [style] = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert f"script-src {_csp_hash(script)};" in policy and f"style-src {_csp_hash(style)};" in policy
    assert "unsafe-inline" not in policy
    data = json.loads(re.search(r'<script type="application/json" id="check-data">(.*?)</script>', html,
                                flags=re.S).group(1))
    assert data["keys"] == [{"kid": signing.key_id(_public(SIGNING_KEY)), "x": _b64(_public(SIGNING_KEY))}]
    assert data["online"] == "http://localhost/verify" and data["lang"] == "ru"

    lookup = client.get("/verify").get_data(as_text=True)
    assert 'href="/verify/offline"' in lookup
