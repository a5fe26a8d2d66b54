"""`flask certificates public-key` and `flask certificates new-key`: the key that signs certificates."""
from __future__ import annotations

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.cli import AppGroup

from lms.learn import credentials, signing

certificates_cli = AppGroup("certificates", help="The key that signs certificates' statements and credentials.")


@certificates_cli.command("public-key")
def public_key_command() -> None:
    """Print the current public key (base64url), its id, its did:key, and the retired keys still accepted."""
    keys = signing.keyring()
    current = keys.public[0]
    click.echo(f"kid: {keys.kid}")
    click.echo(f"public key (Ed25519, base64url): {signing.b64url(current)}")
    click.echo(f"did:key: {credentials.did_key(current)}")
    for raw in keys.public[1:]:
        click.echo(f"retired, still accepted: {signing.key_id(raw)} {signing.b64url(raw)}")


@certificates_cli.command("new-key")
def new_key_command() -> None:
    """Print a new private key for LMS_SIGNING_KEY and its public key (nothing is changed or stored)."""
    private = Ed25519PrivateKey.generate()
    public = signing.raw_public(private)
    click.echo(f"LMS_SIGNING_KEY={signing.seed_text(private)}")
    click.echo(f"public key: {signing.b64url(public)} (kid {signing.key_id(public)})")
