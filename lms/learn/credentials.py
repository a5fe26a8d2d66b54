"""A certificate as an Open Badges 3.0 credential (a W3C Verifiable Credential 2.0), for wallets and registries.

The issuer is the `did:key` of the signing key (lms.learn.signing): the multicodec prefix of an
Ed25519 public key (0xed 0x01) and the key, in multibase base58btc (`z...`). The credential is
secured by an embedded `DataIntegrityProof` with the `eddsa-jcs-2022` cryptosuite (W3C VC Data
Integrity EdDSA Cryptosuites v1.0): the proof options with the document's `@context` and the
document without its proof are each canonicalised with JCS (RFC 8785) and hashed with SHA-256,
the two hashes (options first) are signed with Ed25519, and the signature is the proof's
`proofValue` in multibase base58btc.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import base58
import rfc8785
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.learn.models import Certificate
from lms.learn.signing import KeyRing

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as a varint


def multibase(data: bytes) -> str:
    """`data` in multibase base58btc (`z` and the Bitcoin base58 alphabet)."""
    return "z" + base58.b58encode(data).decode("ascii")


def did_key(public: bytes) -> str:
    """The did:key of a raw Ed25519 public key."""
    return "did:key:" + multibase(_ED25519_PUB + public)


def verification_method(public: bytes) -> str:
    """The id of the key in its did:key document: the DID, `#`, and the same multibase key."""
    return f"{did_key(public)}#{multibase(_ED25519_PUB + public)}"


def timestamp(moment: datetime) -> str:
    """A stored (naive UTC) time as an XML Schema dateTime in UTC, to the second: 2026-05-04T09:30:00Z."""
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _score(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def credential(cert: Certificate, *, verify_url: str, achievement_url: str, issuer_name: str, issuer_url: str,
               public: bytes) -> dict:
    """The unsigned OpenBadgeCredential of `cert`, its texts in the certificate's language. Its `id` is the
    certificate's public check page (valid or revoked, today), the achievement's `id` the module's page."""
    with force_locale(cert.language):
        name = _("Certificate of completion")
        description = _("Completion of the training module %(module)s for election officials.",
                        module=cert.module_title)
        narrative = _("Read every lesson of the module and passed its quiz.")
        score_name = _("Quiz score")
    score_id = achievement_url + "#score"
    return {
        "@context": list(CONTEXT),
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{name}: {cert.module_title}",
        "issuer": {"id": did_key(public), "type": ["Profile"], "name": issuer_name, "url": issuer_url},
        "validFrom": timestamp(cert.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": cert.full_name,
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": cert.full_name}],
            "activityEndDate": timestamp(cert.completed_at),
            "achievement": {
                "id": achievement_url,
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": cert.module_title,
                "description": description,
                "criteria": {"narrative": narrative},
                "inLanguage": cert.language,
                "resultDescription": [{"id": score_id, "type": ["ResultDescription"], "name": score_name,
                                       "resultType": "Percent"}],
            },
            "result": [{"type": ["Result"], "resultDescription": score_id, "value": _score(cert.score)}],
        },
    }


def proof_options(public: bytes, created: datetime) -> dict:
    """The options of a proof made now with the key `public` (no `@context` and no `proofValue` yet)."""
    return {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": timestamp(created),
            "verificationMethod": verification_method(public), "proofPurpose": "assertionMethod"}


def hash_data(document: dict, options: dict) -> bytes:
    """eddsa-jcs-2022's hashData: SHA-256 of the JCS of the proof configuration (`options` with the document's
    `@context`), then SHA-256 of the JCS of `document` without its proof."""
    config = {**options, "@context": document["@context"]} if "@context" in document else dict(options)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    return hashlib.sha256(rfc8785.dumps(config)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()


def add_proof(document: dict, options: dict, keys: KeyRing) -> dict:
    """`document` with an eddsa-jcs-2022 proof made with the current key under `options`."""
    proof = {**options, "@context": document["@context"]} if "@context" in document else dict(options)
    proof["proofValue"] = multibase(keys.sign(hash_data(document, options)))
    return {**document, "proof": proof}


def signed(cert: Certificate, keys: KeyRing, *, created: datetime, **about: str) -> dict:
    """The credential of `cert` (see `credential` for `about`), signed with the current key at `created`."""
    public = keys.public[0]
    return add_proof(credential(cert, public=public, **about), proof_options(public, created), keys)

