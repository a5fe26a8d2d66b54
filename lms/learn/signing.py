"""The Ed25519 key that signs certificates, and the public keys that check them.

`LMS_SIGNING_KEY` is the private key: the base64url form (RFC 4648, no padding) of its 32-byte
seed, as `flask certificates new-key` prints it; every instance must have the same one. Without
it, a key is made once and kept in the instance folder (`signing-key`, readable by its owner
only), so that a development server keeps it across restarts; a test app without one gets a key
that lives in memory only. `LMS_SIGNING_OLD_PUBLIC_KEYS` lists, comma-separated, the public keys
of retired private keys (base64url of 32 bytes): they are still published and still accepted,
so a certificate signed years ago keeps checking out after the key is replaced.

A key's id (`kid`) is the base64url form of the first 8 bytes of the SHA-256 of its public key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

KEY_FILE = "signing-key"
_EXTENSION = "lms_signing"


class BadSigningKey(ValueError):
    """A setting holds something that is not an Ed25519 key in the expected form."""


def b64url(data: bytes) -> str:
    """`data` in base64url without padding (RFC 7515's form)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """The bytes of a base64url text, padded or not; ValueError if it is not base64url."""
    text = text.strip()
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error


def key_id(public: bytes) -> str:
    """The id of a raw 32-byte public key: base64url of the first 8 bytes of its SHA-256."""
    return b64url(hashlib.sha256(public).digest()[:8])


def raw_public(private: Ed25519PrivateKey) -> bytes:
    """The raw 32 bytes of `private`'s public key."""
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seed_text(private: Ed25519PrivateKey) -> str:
    """`private` in the form LMS_SIGNING_KEY takes: base64url of its 32-byte seed."""
    return b64url(private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption()))


def parse_private(text: str) -> Ed25519PrivateKey:
    """The private key of an LMS_SIGNING_KEY value; BadSigningKey if it is not 32 bytes of base64url."""
    try:
        seed = from_b64url(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise BadSigningKey("LMS_SIGNING_KEY must be the base64url form of a 32-byte Ed25519 seed "
                            "(`flask --app wsgi certificates new-key` makes one)")
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_public(text: str) -> bytes:
    """The raw public key of one entry of LMS_SIGNING_OLD_PUBLIC_KEYS; BadSigningKey if it is not one."""
    try:
        raw = from_b64url(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BadSigningKey(f"LMS_SIGNING_OLD_PUBLIC_KEYS: {text.strip()[:60]!r} is not the base64url form "
                            "of a 32-byte Ed25519 public key")
    Ed25519PublicKey.from_public_bytes(raw)
    return raw


@dataclass(frozen=True)
class KeyRing:
    """The current private key and every public key still accepted (the current one first)."""

    private: Ed25519PrivateKey
    public: tuple[bytes, ...]

    @property
    def kid(self) -> str:
        """The id of the current key."""
        return key_id(self.public[0])

    def sign(self, data: bytes) -> bytes:
        """The Ed25519 signature of `data` with the current key (64 bytes)."""
        return self.private.sign(data)

    def by_kid(self) -> dict[str, bytes]:
        """Each accepted public key by its id, the current one first."""
        return {key_id(raw): raw for raw in self.public}

    def jwks(self) -> dict:
        """The public keys as a JWK Set (RFC 7517, OKP keys of RFC 8037), the current key first."""
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid, "use": "sig", "alg": "EdDSA"}
                         for kid, raw in self.by_kid().items()]}


def _read_or_create(path: str) -> str:
    """The seed kept at `path`, written first if there is none. Two processes starting at once
    agree: the new key is written to a private temporary file and linked into place, which fails
    for the second one, who then reads the first one's key."""
    if not os.path.exists(path):
        folder = os.path.dirname(path)
        temporary = os.path.join(folder, f".{KEY_FILE}-{secrets.token_hex(8)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(seed_text(Ed25519PrivateKey.generate()) + "\n")
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    with open(path) as f:
        return f.read().strip()


def _load(app: Flask) -> KeyRing:
    setting = (app.config.get("LMS_SIGNING_KEY") or "").strip()
    if setting:
        private = parse_private(setting)
    elif app.testing:
        private = Ed25519PrivateKey.generate()  # never written into the instance folder
    else:
        path = os.path.join(app.instance_path, KEY_FILE)
        private = parse_private(_read_or_create(path))
        app.logger.warning("LMS_SIGNING_KEY is not set: certificates are signed with the key kept in %s. "
                           "In production, set the same LMS_SIGNING_KEY on every instance.", path)
    current = raw_public(private)
    old = [parse_public(text) for text in (app.config.get("LMS_SIGNING_OLD_PUBLIC_KEYS") or "").split(",")
           if text.strip()]
    return KeyRing(private, tuple(dict.fromkeys([current, *old])))


def keyring(app: Flask | None = None) -> KeyRing:
    """The app's keys, loaded once (and the development key made, if need be) on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ring = app.extensions.get(_EXTENSION)
    if ring is None:
        ring = app.extensions[_EXTENSION] = _load(app)
    return ring


def init_app(app: Flask) -> None:
    """Check the key settings when the app starts, so that a mistyped key fails at once, not at the first
    certificate (the development key is made later, when first needed)."""
    if (app.config.get("LMS_SIGNING_KEY") or "").strip():
        parse_private(app.config["LMS_SIGNING_KEY"])
    for text in (app.config.get("LMS_SIGNING_OLD_PUBLIC_KEYS") or "").split(","):
        if text.strip():
            parse_public(text)
