"""The compact signed statement a certificate's QR code carries, for a check without a connection.

A JWS in compact serialisation (RFC 7515): the header `{"alg":"EdDSA","kid":...}`, the payload
the compact JSON (UTF-8) of the code as printed (`c`), the name (`n`) and the module's title
(`m`) as issued, and the completion date (`d`, YYYY-MM-DD), signed with Ed25519 (RFC 8037).
The QR code holds the check address with the statement in its fragment,
`https://host/verify/ABCD-EFGH-JKMN-PQRS#<statement>`: a browser never sends the fragment to
the server, and the offline check page (/verify/offline) reads it from `location.hash`.
"""
from __future__ import annotations

import json

from lms.learn.certificate_records import grouped
from lms.learn.models import Certificate
from lms.learn.signing import KeyRing, b64url


def payload(cert: Certificate) -> dict[str, str]:
    """What the statement says: code, name, module and date, under one-letter keys (a smaller QR code)."""
    return {"c": grouped(cert.code), "n": cert.full_name, "m": cert.module_title,
            "d": cert.completed_at.date().isoformat()}


def _compact(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(cert: Certificate, keys: KeyRing) -> str:
    """The statement of `cert`, signed with the current key."""
    head = b64url(_compact({"alg": "EdDSA", "kid": keys.kid})) + "." + b64url(_compact(payload(cert)))
    return head + "." + b64url(keys.sign(head.encode("ascii")))
